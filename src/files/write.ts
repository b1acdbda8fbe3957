import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { FlashdataError } from '../errors.js'

/**
 * Writes a whole file or nothing: the bytes go to a temporary file beside the
 * target, are flushed to disk, then renamed over it. An interrupted write
 * leaves at most a stray temporary file, never a half image.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, mtime?: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx')
    try {
      await handle.writeFile(bytes)
      if (mtime !== undefined) await handle.utimes(mtime, mtime)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => {})
    throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot write "${path}": ${(error as Error).message}`, {
      hint: 'Check that the folder exists and is writable.', details: { path }, cause: error,
    })
  }
}

/** Writes to a file atomically, or to standard output for "-". */
export async function writeOutput(path: string, bytes: Uint8Array, mtime?: number): Promise<void> {
  if (path !== '-') return writeFileAtomic(path, bytes, mtime)
  await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (e) => (e ? reject(e) : resolve())))
}
