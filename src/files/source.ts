import { readFile, stat } from 'node:fs/promises'
import { FlashdataError } from '../errors.js'
import { readImage, type ImageListing } from '../image/parse.js'
import { buildImageFromPaths, type BuildFromPathsOptions } from './build.js'
import type { SkippedFile } from './collect.js'

export interface ImageSource {
  image: Uint8Array
  listing: ImageListing
  /** 'folder' when built from files now, 'image' when read from an image file. */
  origin: 'folder' | 'image'
  skipped: SkippedFile[]
}

/** Reads an image file; a missing or unreadable file is an input error. */
export async function readImageFile(path: string): Promise<Uint8Array> {
  const data = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new FlashdataError('INPUT_NOT_FOUND', `"${path}" does not exist.`, { hint: 'Check the path.', details: { path } })
    throw new FlashdataError('INPUT_UNREADABLE', `Cannot read "${path}": ${error.message}`, { details: { path }, cause: error })
  })
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
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
      throw new FlashdataError('BAD_OPTION', `--nul-terminate applies when packing a folder; "${inputs[0]}" is an image that is already built.`, {
        hint: 'Build the image with flashdata build --nul-terminate, or push the folder with the option.', details: { path: inputs[0] },
      })
    }
    const image = await readImageFile(inputs[0])
    try {
      return { image, listing: readImage(image, `"${inputs[0]}"`), origin: 'image', skipped: [] }
    } catch (error) {
      if (!(error instanceof FlashdataError)) throw error
      throw new FlashdataError(error.code, error.message, {
        hint: 'To pack a single file rather than write an image, put it in a folder and give the folder.', details: error.details,
      })
    }
  }
  const built = await buildImageFromPaths(inputs, options)
  return { image: built.image, listing: readImage(built.image), origin: 'folder', skipped: built.skipped }
}
