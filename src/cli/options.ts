import { InvalidArgumentError, type Command } from 'commander'
import { CliError } from './hints.js'
import type { BuildFromPathsOptions } from '../files/build.js'
import type { SkippedFile } from '../files/collect.js'
import { printable } from '../image/names.js'
import type { ImageProblem } from '../image/parse.js'
import type { CliIo } from './io.js'

export function parseInteger(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`)
    }
    return Number(value)
  }
}

/** A value that may not be empty: `--emulator "$UNSET"` must never mean "no emulator". */
export function nonEmpty(value: string): string {
  if (value === '') throw new InvalidArgumentError('an empty value is not allowed (is a shell variable unset?).')
  return value
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, nonEmpty(value)]
}

/**
 * `-o -` puts the image's bytes on standard output: refused when that is a
 * terminal, where they would only scramble the screen.
 */
export function checkDataOutput(io: CliIo, output: string, command: string): void {
  if (output !== '-' || !io.stdout.isTTY) return
  throw new CliError(
    'BAD_OPTION',
    '-o - writes the binary image to standard output, which is a terminal here.',
    `Redirect it (flashdata ${command} ... -o - > image.bin, or | xxd | head), or write a file with -o image.bin.`,
    { details: { output } },
  )
}

/** The options shared by every command that packs a folder. */
export function addBuildOptions(command: Command): Command {
  return (
    command
      .option(
        '--epoch <seconds>',
        "build time for the header (default: SOURCE_DATE_EPOCH, else the newest file's time); also clamps newer file times",
        parseInteger(0, 0xffffffff),
      )
      .option(
        '--align <bytes>',
        "align each file's data offset (1 = the original packed layout)",
        parseInteger(1, 4096),
        1,
      )
      // No default value for the repeatable ones: help would show "(default: [])".
      .option('--exclude <glob>', 'leave out matching files (repeatable)', collect)
      .option(
        '--nul-terminate <glob>',
        'store matching files with a NUL byte after their data, not counted in their length, so mbedTLS parses PEM in place (repeatable)',
        collect,
      )
      .option('--no-ignore-vcs', 'also pack version-control folders (.git, .svn, .hg, CVS, ...), skipped by default')
  )
}

export interface BuildCliOptions {
  epoch?: number
  align: number
  exclude?: string[]
  nulTerminate?: string[]
  ignoreVcs: boolean
}

/** What the build options mean to the packer. */
export function packOptions(options: BuildCliOptions, env: NodeJS.ProcessEnv): BuildFromPathsOptions {
  return {
    exclude: options.exclude ?? [],
    nulTerminate: options.nulTerminate ?? [],
    epoch: options.epoch,
    align: options.align,
    includeVcs: !options.ignoreVcs,
    env,
  }
}

/** What packing a folder left out, and its warnings: printed for people, and in each --json result. */
export interface PackNotes {
  skipped: SkippedFile[]
  warnings: string[]
  /** 'image' when an image file was read: nothing was packed. */
  origin?: 'folder' | 'image'
}

/** The --json result fields for a folder that was packed (none for an image file or per-board data). */
export function packNotesJson(notes: PackNotes | undefined, problems: readonly ImageProblem[] = []) {
  if (!notes || notes.origin === 'image') return {}
  return {
    skipped: notes.skipped,
    warnings: [...notes.warnings, ...problems.filter((p) => p.severity === 'warning').map((p) => p.message)],
  }
}

/**
 * Tells people what a folder's packing left out, and its warnings (an
 * --exclude that matched nothing, Unicode twins) on standard error; never
 * with --json (the result carries them, packNotesJson) or -q.
 */
export function noticeSkipped(
  io: CliIo,
  notes: PackNotes | undefined,
  options: { json?: boolean; quiet?: boolean },
  problems: readonly ImageProblem[] = [],
): void {
  if (options.json || options.quiet || !notes) return
  for (const s of notes.skipped) io.stderr.write(`skipped ${printable(s.path)} (${s.reason})\n`)
  for (const w of notes.warnings) io.stderr.write(`warning: ${w}\n`)
  for (const p of problems) if (p.severity === 'warning') io.stderr.write(`warning: ${p.message}\n`)
}
