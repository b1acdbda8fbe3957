import { stat } from 'node:fs/promises'
import { FlashdataError } from '../errors.js'
import type { BoardSerial } from '../device/serial.js'
import { collectFiles } from '../files/collect.js'
import type { ImageFileInput } from '../image/build.js'
import { childPath } from './child-path.js'

/** The files of one layer of a board's image, and where they came from (for the record). */
export interface Layer {
  files: ImageFileInput[]
  source: string
}

/**
 * A board's own folder, `<dir>/<serial>/`. Missing: undefined when per-board
 * data is optional, else PER_BOARD_MISSING (the board fails untouched).
 */
export async function perBoardLayer(
  dir: string,
  serial: BoardSerial,
  options: { optional?: boolean; exclude?: string[]; includeVcs?: boolean } = {},
): Promise<Layer | undefined> {
  const folder = childPath(dir, serial)
  const info = await stat(folder).catch(() => undefined)
  if (!info?.isDirectory()) {
    if (options.optional) return undefined
    throw new FlashdataError('PER_BOARD_MISSING', `No per-board folder for ${serial}: "${folder}" does not exist.`, {
      hint: `Put this board's files in "${folder}", or mark per-board data optional in the job. The board was not touched.`,
      details: { serial, folder },
    })
  }
  const { files } = await collectFiles([folder], { exclude: options.exclude, includeVcs: options.includeVcs })
  return { files, source: folder }
}

/** Stacks layers in order: a file of a later layer replaces the same-named file of an earlier one. */
export function overlay(layers: ImageFileInput[][]): ImageFileInput[] {
  const byName = new Map<string, ImageFileInput>()
  for (const layer of layers) for (const file of layer) byName.set(file.name, file)
  return [...byName.values()]
}
