import { hostname } from 'node:os'
import { open, readFile, rename, unlink } from 'node:fs/promises'
import { FlashdataError } from '../errors.js'
import { sleep } from '../device/wait.js'
import { LEDGER_LOCK_MS, LEDGER_LOCK_RETRY_MS } from '../timeouts.js'

interface Owner {
  pid: number
  host: string
  at: string
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * An exclusive lock beside a file (`<file>.lock`, created with O_EXCL) held
 * for one short read-modify-append. A lock left by a dead process on this
 * host (a station killed with SIGKILL) is taken over; one held by another
 * host is waited for.
 */
export async function withFileLock<T>(file: string, work: () => Promise<T>, timeoutMs = LEDGER_LOCK_MS): Promise<T> {
  const path = `${file}.lock`
  const me: Owner = { pid: process.pid, host: hostname(), at: new Date().toISOString() }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const handle = await open(path, 'wx')
      await handle.writeFile(JSON.stringify(me))
      await handle.close()
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FlashdataError('LEDGER_FAILED', `Cannot lock the ledger "${file}": ${(error as Error).message}`, {
          details: { path },
        })
      }
    }
    const owner = await readFile(path, 'utf8')
      .then((t) => JSON.parse(t) as Owner)
      .catch(() => undefined)
    if (owner && owner.host === me.host && !alive(owner.pid)) {
      // Two takers racing here could both get in; a row they both reserve is damage that stops them before a second board gets it.
      await rename(path, `${path}.stale-${process.pid}`)
        .then(() => unlink(`${path}.stale-${process.pid}`))
        .catch(() => {})
      continue
    }
    if (Date.now() > deadline) {
      throw new FlashdataError(
        'LEDGER_FAILED',
        `The ledger "${file}" stayed locked for ${Math.round(timeoutMs / 1000)} s${owner ? ` by process ${owner.pid} on ${owner.host}` : ''}.`,
        {
          details: { path, owner },
        },
      )
    }
    const { min, max } = LEDGER_LOCK_RETRY_MS
    await sleep(min + Math.random() * (max - min))
  }
  try {
    return await work()
  } finally {
    await unlink(path).catch(() => {})
  }
}
