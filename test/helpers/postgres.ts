import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPostgres {
  url: string
  stop(): void
}

/** initdb/pg_ctl from Debian's postgresql package (or PATH); undefined with the reason when there are none. */
function findBin(): { bin: string } | { reason: string } {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return { bin: join(root, v, 'bin') }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' })
  if (which.status === 0) return { bin: join(which.stdout.trim(), '..') }
  return { reason: 'PostgreSQL is not installed (Debian: apt-get install postgresql); .ci/run installs it' }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/**
 * A private PostgreSQL server for one test file: its own data folder and
 * port, trust authentication on 127.0.0.1 only. The server refuses to run as
 * root, so as root it runs as the `postgres` user the package creates.
 */
export async function startPostgres(): Promise<TestPostgres | { reason: string }> {
  const found = findBin()
  if ('reason' in found) return found
  const asRoot = process.getuid?.() === 0
  const uid = asRoot ? Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()) : undefined
  if (asRoot && !Number.isInteger(uid))
    return { reason: 'running as root and there is no "postgres" user to run the server as' }
  const dir = mkdtempSync(join(tmpdir(), 'flashdata-pg-'))
  if (uid !== undefined) chownSync(dir, uid, uid)
  const run = (tool: string, args: string[]) => {
    const command = asRoot
      ? ['runuser', '-u', 'postgres', '--', join(found.bin, tool), ...args]
      : [join(found.bin, tool), ...args]
    execFileSync(command[0], command.slice(1), { stdio: 'pipe', cwd: dir })
  }
  const data = join(dir, 'data')
  const port = await freePort()
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ])
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    return {
      reason: `cannot start PostgreSQL: ${(error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message}`,
    }
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
