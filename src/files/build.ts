import { FlashdataError } from '../errors.js'
import { buildImage } from '../image/build.js'
import { collectFiles, type SkippedFile } from './collect.js'
import type { ImageFileInput } from '../image/build.js'

export interface BuildFromPathsOptions {
  exclude?: string[]
  /** Header time; overrides SOURCE_DATE_EPOCH. */
  epoch?: number
  align?: number
  env?: NodeJS.ProcessEnv
  now?: () => number
  /**
   * Without --epoch or SOURCE_DATE_EPOCH, use the newest file time instead of
   * the clock, so packing an unchanged folder again gives the same image
   * (push then sees that the board already holds it).
   */
  epochFromFiles?: boolean
}

export interface BuiltImage {
  image: Uint8Array
  files: ImageFileInput[]
  skipped: SkippedFile[]
  epoch: number
}

/**
 * The build time: --epoch, else SOURCE_DATE_EPOCH, else now. An explicit
 * time also clamps newer file mtimes, so the output depends only on the tree.
 */
export function resolveEpoch(options: BuildFromPathsOptions): { epoch: number; clamp: boolean } {
  if (options.epoch !== undefined) return { epoch: options.epoch, clamp: true }
  const fromEnv = (options.env ?? process.env).SOURCE_DATE_EPOCH
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!/^\d+$/.test(fromEnv) || Number(fromEnv) > 0xffffffff) {
      throw new FlashdataError('BAD_OPTION', `SOURCE_DATE_EPOCH="${fromEnv}" is not whole seconds since 1970.`, { hint: 'Set it to a number such as 1700000000, or unset it.' })
    }
    return { epoch: Number(fromEnv), clamp: true }
  }
  return { epoch: Math.floor((options.now ?? Date.now)() / 1000), clamp: false }
}

/** Collects files from folders and files and packs them into an image. */
export async function buildImageFromPaths(inputs: string[], options: BuildFromPathsOptions = {}): Promise<BuiltImage> {
  const resolved = resolveEpoch(options)
  const { files, skipped } = await collectFiles(inputs, { exclude: options.exclude, clampMtime: resolved.clamp ? resolved.epoch : undefined })
  const epoch = resolved.clamp || !options.epochFromFiles ? resolved.epoch : Math.max(...files.map((f) => f.mtime))
  return { image: buildImage(files, { epoch, align: options.align }), files, skipped, epoch }
}
