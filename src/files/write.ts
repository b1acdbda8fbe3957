import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { FlashdataError } from '../errors.js'
import { printable } from '../image/names.js'
import { checkOutputFile, type OutputOptions } from './output.js'

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
    throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot write "${printable(path)}": ${(error as Error).message}`, {
      details: { path, code: (error as NodeJS.ErrnoException).code },
      cause: error,
    })
  }
}

/**
 * Writes an image output under the output rule (output.ts), atomically, or
 * to standard output for "-". A reader of standard output that stops early
 * (`| head -c 100`) is its own choice, not a failure.
 */
export async function writeOutput(
  path: string,
  bytes: Uint8Array,
  options: OutputOptions & { mtime?: number } = {},
): Promise<void> {
  if (path !== '-') return writeFileAtomic(await checkOutputFile(path, options), bytes, options.mtime)
  await new Promise<void>((resolve) => process.stdout.write(bytes, () => resolve()))
}
