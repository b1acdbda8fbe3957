import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { FlashdataError } from '../errors.js'
import { printable } from '../image/names.js'
import { fileData, readImage } from '../image/parse.js'
import { planExtractTargets, type OutputOptions } from './output.js'
import { writeFileAtomic } from './write.js'

export type ExtractOptions = OutputOptions

export interface ExtractedFile {
  name: string
  path: string
  length: number
}

/**
 * Writes every file of a valid image into a folder, restoring mtimes. The
 * image's names follow the name rule (readImage refuses any that could leave
 * the folder), and every conflict on disk is checked before the first file
 * is written (the output rule in output.ts).
 */
export async function extractImage(
  image: Uint8Array,
  dir: string,
  options: ExtractOptions = {},
): Promise<ExtractedFile[]> {
  const listing = readImage(image)
  const targets = await planExtractTargets(
    resolve(dir),
    listing.files.map((f) => f.name),
    options,
  )
  const written: ExtractedFile[] = []
  for (const [i, entry] of listing.files.entries()) {
    await mkdir(dirname(targets[i]), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw new FlashdataError(
        'OUTPUT_UNWRITABLE',
        `Cannot create "${printable(dirname(targets[i]))}": ${error.message}`,
        {
          details: { path: dirname(targets[i]), code: error.code },
          cause: error,
        },
      )
    })
    await writeFileAtomic(targets[i], fileData(image, entry), entry.modDate)
    written.push({ name: entry.name, path: join(dir, ...entry.name.split('/')), length: entry.length })
  }
  return written
}
