import { FlashdataError } from '../errors.js'
import { buildImage } from '../image/build.js'
import { collectFiles, type SkippedFile } from './collect.js'
import { makeExcluder } from './glob.js'
import type { ImageFileInput } from '../image/build.js'

export interface BuildFromPathsOptions {
  exclude?: string[]
  /** Glob patterns of files stored with a NUL byte after their data (PEM for mbedTLS). */
  nulTerminate?: string[]
  /** Header time; overrides SOURCE_DATE_EPOCH. */
  epoch?: number
  align?: number
  /** Pack version-control folders (.git, .svn, ...) too. */
  includeVcs?: boolean
  env?: Record<string, string | undefined>
}

export interface BuiltImage {
  image: Uint8Array
  files: ImageFileInput[]
  skipped: SkippedFile[]
  /** Notes for people: --exclude patterns that matched nothing. */
  warnings: string[]
  epoch: number
}

/** An explicit build time: --epoch, else SOURCE_DATE_EPOCH, else none. */
export function explicitEpoch(options: BuildFromPathsOptions): number | undefined {
  if (options.epoch !== undefined) return options.epoch
  const fromEnv = (options.env ?? process.env).SOURCE_DATE_EPOCH
  if (fromEnv === undefined || fromEnv === '') return undefined
  if (!/^\d+$/.test(fromEnv) || Number(fromEnv) > 0xffffffff) {
    throw new FlashdataError('BAD_OPTION', `SOURCE_DATE_EPOCH="${fromEnv}" is not whole seconds since 1970.`)
  }
  return Number(fromEnv)
}

/**
 * Marks the files that --nul-terminate names. A pattern that matches nothing
 * is refused: a mistyped one would only show on the device, as a TLS error.
 */
function markNulTerminated(files: ImageFileInput[], patterns: string[]): ImageFileInput[] {
  if (patterns.length === 0) return files
  const unused = new Set(patterns)
  for (const pattern of patterns) {
    const matches = makeExcluder([pattern])
    if (files.some((f) => matches(f.name))) unused.delete(pattern)
  }
  if (unused.size > 0) {
    const [first] = unused
    throw new FlashdataError('BAD_OPTION', `--nul-terminate "${first}" matches none of the files to pack.`, {
      details: { patterns: [...unused] },
    })
  }
  const matches = makeExcluder(patterns)
  return files.map((f) => (matches(f.name) ? { ...f, nulTerminate: true } : f))
}

/**
 * Collects files from folders and files and packs them into an image. The one
 * rule for the header time, in every command: the explicit build time (which
 * also clamps newer file times), else the newest file's time. Never the
 * clock, so the same folder always gives the same image.
 */
export async function buildImageFromPaths(inputs: string[], options: BuildFromPathsOptions = {}): Promise<BuiltImage> {
  const collected = await collectFiles(inputs, { exclude: options.exclude, includeVcs: options.includeVcs })
  return { ...packFiles(collected.files, options), skipped: collected.skipped, warnings: collected.warnings }
}

/**
 * Packs collected files (a board's common and own files, for one) by the same
 * rules: --nul-terminate marks, the explicit build time clamping newer files,
 * else the newest file's time.
 */
export function packFiles(
  collected: ImageFileInput[],
  options: BuildFromPathsOptions = {},
): Omit<BuiltImage, 'skipped' | 'warnings'> {
  const explicit = explicitEpoch(options)
  const files = markNulTerminated(
    explicit === undefined ? collected : collected.map((f) => ({ ...f, mtime: Math.min(f.mtime, explicit) })),
    options.nulTerminate ?? [],
  )
  const epoch = explicit ?? Math.max(...files.map((f) => f.mtime))
  return { image: buildImage(files, { epoch, align: options.align }), files, epoch }
}
