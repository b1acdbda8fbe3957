import { InvalidArgumentError, type Command } from 'commander'
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

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, nonEmpty(value)]
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

/**
 * Tells people what a folder's packing left out, and the image's warnings
 * (Unicode twins) when given (standard error; never with --json or -q).
 */
export function noticeSkipped(
  io: CliIo,
  skipped: SkippedFile[],
  options: { json?: boolean; quiet?: boolean },
  problems: readonly ImageProblem[] = [],
): void {
  if (options.json || options.quiet) return
  for (const s of skipped) io.stderr.write(`skipped ${printable(s.path)} (${s.reason})\n`)
  for (const p of problems) if (p.severity === 'warning') io.stderr.write(`warning: ${p.message}\n`)
}
