import { mkdir, open, utimes } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { FlashdataError } from '../errors.js'
import { fileData, readImage, type ImageEntry } from '../image/parse.js'

export interface ExtractOptions {
  /** Overwrite files that already exist. */
  force?: boolean
}

export interface ExtractedFile {
  name: string
  path: string
  length: number
}

function safeTarget(root: string, name: string): string {
  const target = resolve(root, ...name.split('/'))
  const rel = relative(root, target)
  if (name.includes('\\') || isAbsolute(name) || rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new FlashdataError('UNSAFE_PATH', `The image holds a file named "${name}", which would be written outside "${root}".`, {
      hint: 'The image is hostile or corrupt; nothing was extracted.', details: { name },
    })
  }
  return target
}

/**
 * Writes every file of a valid image into a folder, restoring mtimes. All
 * names are checked before the first file is written.
 */
export async function extractImage(image: Uint8Array, dir: string, options: ExtractOptions = {}): Promise<ExtractedFile[]> {
  const listing = readImage(image)
  const root = resolve(dir)
  const targets = listing.files.map((entry): [ImageEntry, string] => [entry, safeTarget(root, entry.name)])
  const written: ExtractedFile[] = []
  for (const [entry, path] of targets) {
    await mkdir(dirname(path), { recursive: true })
    const handle = await open(path, options.force ? 'w' : 'wx').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') {
        throw new FlashdataError('OUTPUT_EXISTS', `"${path}" already exists.`, { hint: 'Extract into an empty folder, or pass --force to overwrite.', details: { path } })
      }
      throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot write "${path}": ${error.message}`, { details: { path }, cause: error })
    })
    try {
      await handle.writeFile(fileData(image, entry))
    } finally {
      await handle.close()
    }
    await utimes(path, entry.modDate, entry.modDate)
    written.push({ name: entry.name, path: join(dir, ...entry.name.split('/')), length: entry.length })
  }
  return written
}
