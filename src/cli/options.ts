import { InvalidArgumentError, type Command } from 'commander'

export function parseInteger(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`)
    }
    return Number(value)
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** The options shared by every command that packs a folder. */
export function addBuildOptions(command: Command): Command {
  return command
    .option('--epoch <seconds>', 'build time for the header (default: SOURCE_DATE_EPOCH, else now); also clamps newer file times', parseInteger(0, 0xffffffff))
    .option('--align <bytes>', "align each file's data offset (1 = the original packed layout)", parseInteger(1, 4096), 1)
    .option('--exclude <glob>', 'leave out matching files (repeatable)', collect, [])
    .option('--nul-terminate <glob>', 'store matching files with a NUL byte after their data, not counted in their length, so mbedTLS parses PEM in place (repeatable)', collect, [])
}

export interface BuildCliOptions {
  epoch?: number
  align: number
  exclude: string[]
  nulTerminate: string[]
}

/** What the pack options say, for buildImageFromPaths and loadImageSource. */
export function packOptions(options: BuildCliOptions, env: NodeJS.ProcessEnv) {
  return { exclude: options.exclude, nulTerminate: options.nulTerminate, epoch: options.epoch, align: options.align, env }
}
