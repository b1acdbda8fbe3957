import { open, readFile, stat } from 'node:fs/promises'
import { FlashdataError } from '../errors.js'
import { DFU_SIGNATURE_BYTES, imageFileTooLarge, imageOfFile, maxFileSize } from '../image/dfu-file.js'
import { SECTOR_SIZE } from '../image/format.js'
import { printable } from '../image/names.js'
import { readImage, type ImageListing } from '../image/parse.js'
import type { BuildFromPathsOptions } from './build.js'
import type { SkippedFile } from './collect.js'

export interface ImageSource {
  image: Uint8Array
  listing: ImageListing
  /** 'folder' when built from files now, 'image' when read from an image file. */
  origin: 'folder' | 'image'
  skipped: SkippedFile[]
  /** Notes for people: --exclude patterns that matched nothing. */
  warnings: string[]
}

const unreadable = (path: string, error: NodeJS.ErrnoException) =>
  new FlashdataError('INPUT_UNREADABLE', `Cannot read "${printable(path)}": ${error.message}`, {
    details: { path },
    cause: error,
  })

/** A file's first bytes, without reading the rest (a sparse 2 GiB file is not read). */
async function firstBytes(path: string, count: number): Promise<Uint8Array> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw unreadable(path, error)
  })
  try {
    const { buffer, bytesRead } = await handle.read(new Uint8Array(count), 0, count, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/**
 * Reads an image file and returns the image it holds (a .dfu file is
 * unwrapped and checked). It is checked first, without opening it: a FIFO or
 * a device would block or never end, and a file larger than the sector (with
 * a .dfu file's wrapping) cannot be an image (a sparse 2 GiB file is refused
 * without reading it).
 */
export async function readImageFile(path: string): Promise<Uint8Array> {
  const shown = printable(path)
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new FlashdataError('INPUT_NOT_FOUND', `"${shown}" does not exist.`, {
        details: { path },
      })
    throw unreadable(path, error)
  })
  if (!info.isFile()) {
    throw new FlashdataError(
      'INPUT_SPECIAL_FILE',
      `"${shown}" is ${info.isDirectory() ? 'a folder' : 'a special file (device, socket or pipe)'}, not an image file.`,
      { details: { path, image: true } },
    )
  }
  // Between an image's size and a .dfu file's, the first bytes say which it is.
  const head =
    info.size > SECTOR_SIZE && info.size <= maxFileSize('dfu') ? await firstBytes(path, DFU_SIGNATURE_BYTES) : undefined
  const tooBig = imageFileTooLarge(path, info.size, head)
  if (tooBig) throw tooBig
  const data = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw unreadable(path, error)
  })
  return imageOfFile(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
}

/**
 * What push, verify and jig accept: one image file, or folders/files to pack
 * (as build packs them). The image is validated here, before any device is
 * touched.
 */
export async function loadImageSource(inputs: string[], options: BuildFromPathsOptions = {}): Promise<ImageSource> {
  const single = inputs.length === 1 ? await stat(inputs[0]).catch(() => undefined) : undefined
  if (single?.isFile()) {
    if (options.nulTerminate?.length) {
      throw new FlashdataError(
        'BAD_OPTION',
        `--nul-terminate applies when packing a folder; "${inputs[0]}" is an image that is already built.`,
        {
          details: { option: '--nul-terminate', path: inputs[0] },
        },
      )
    }
    const image = await readImageFile(inputs[0])
    return { image, listing: readImage(image, inputs[0]), origin: 'image', skipped: [], warnings: [] }
  }
  // Packing (and the MIME database) is loaded only when there is a folder to pack.
  const { buildImageFromPaths } = await import('./build.js')
  const { image, skipped, warnings } = await buildImageFromPaths(inputs, options)
  return { image, listing: readImage(image), origin: 'folder', skipped, warnings }
}
