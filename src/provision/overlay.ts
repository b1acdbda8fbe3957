import { readdir, stat } from 'node:fs/promises'
import { FlashdataError } from '../errors.js'
import type { BoardSerial } from '../device/serial.js'
import { collectFiles, type SkippedFile } from '../files/collect.js'
import type { ImageFileInput } from '../image/build.js'
import { childPath } from './child-path.js'

/** The files of one layer of a board's image, and where they came from (for the record). */
export interface Layer {
  files: ImageFileInput[]
  source: string
  /** What packing the folder left out, and notes on it (--exclude patterns that matched nothing). */
  skipped: SkippedFile[]
  warnings: string[]
  unmatchedExcludes: string[]
}

/**
 * The entry of `dir` named by the serial in any case (serials compare
 * case-insensitively, and a folder may be named as the board's label prints
 * it); undefined when there is none. Two that differ only in case are
 * refused: either could be meant.
 */
async function boardEntry(dir: string, serial: BoardSerial): Promise<string | undefined> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => /^[0-9A-Za-z]+$/.test(name) && name.toLowerCase() === serial)
    .sort()
  if (names.length > 1) {
    throw new FlashdataError(
      'PER_BOARD_AMBIGUOUS',
      `Per-board folders ${names.map((n) => `"${n}"`).join(' and ')} in "${dir}" differ only in case; either could be ${serial}'s. The board was not touched.`,
      {
        details: { serial, dir, folders: names },
      },
    )
  }
  return names[0]
}

/**
 * A board's own folder, `<dir>/<serial>/` (in any case). Missing: undefined
 * when per-board data is optional, else PER_BOARD_MISSING (the board fails
 * untouched).
 */
export async function perBoardLayer(
  dir: string,
  serial: BoardSerial,
  options: { optional?: boolean; exclude?: string[]; includeVcs?: boolean } = {},
): Promise<Layer | undefined> {
  const entry = await boardEntry(dir, serial)
  const folder = childPath(dir, entry ?? serial)
  const info = entry === undefined ? undefined : await stat(folder).catch(() => undefined)
  if (!info?.isDirectory()) {
    if (options.optional) return undefined
    throw new FlashdataError(
      'PER_BOARD_MISSING',
      `No per-board folder for ${serial}: "${folder}" does not exist. The board was not touched.`,
      {
        details: { serial, folder },
      },
    )
  }
  const { files, skipped, warnings, unmatchedExcludes } = await collectFiles([folder], {
    exclude: options.exclude,
    includeVcs: options.includeVcs,
  })
  return { files, source: folder, skipped, warnings, unmatchedExcludes }
}

/** Stacks layers in order: a file of a later layer replaces the same-named file of an earlier one. */
export function overlay(layers: ImageFileInput[][]): ImageFileInput[] {
  const byName = new Map<string, ImageFileInput>()
  for (const layer of layers) for (const file of layer) byName.set(file.name, file)
  return [...byName.values()]
}
