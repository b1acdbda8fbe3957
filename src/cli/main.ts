import { Command, CommanderError } from 'commander'
import { createRequire } from 'node:module'
import { ExitCode } from '../errors.js'
import { registerBuild } from './commands/build.js'
import { registerDevices } from './commands/devices.js'
import { registerExtract } from './commands/extract.js'
import { registerInspect } from './commands/inspect.js'
import { registerJig } from './commands/jig.js'
import { registerModeCommands } from './commands/mode.js'
import { registerPull } from './commands/pull.js'
import { registerPush } from './commands/push.js'
import { registerVerify } from './commands/verify.js'
import { asFlashdataError, errorJson, printError, printJson, processIo, type CliIo } from './io.js'

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

function createProgram(io: CliIo): Command {
  const program = new Command('flashdata')
    .description('Put data files into the Particle Electron\'s spare 128 KiB flash sector over USB: pack, write, verify.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
  registerPush(program, io)
  registerVerify(program, io)
  registerPull(program, io)
  registerDevices(program, io)
  registerModeCommands(program, io)
  registerJig(program, io)
  registerBuild(program, io)
  registerInspect(program, io)
  registerExtract(program, io)
  program.addHelpText('after', `
Examples:
  $ flashdata push data                     pack data/ and write it to the connected Electron
  $ flashdata verify data                   does the board hold exactly data/?
  $ flashdata push data --emulator e.bin    the same on an emulated Electron
  $ flashdata build data -o data.bin        pack a folder into an image
  $ flashdata inspect data.bin              list and check an image

Exit codes are listed in the README; 0 means success.`)
  return program
}

/** Runs the CLI and resolves to the process exit code; never throws. */
export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  const program = createProgram(io)
  try {
    await program.parseAsync(argv)
    return io.exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? 0 : ExitCode.USAGE
    }
    const failure = asFlashdataError(error)
    const json = argv.includes('--json')
    if (json) printJson(io, errorJson(failure))
    else printError(io, failure)
    if (failure.code === 'INTERNAL' && io.env.FLASHDATA_DEBUG) io.stderr.write(`${(failure.cause as Error)?.stack}\n`)
    return failure.exitCode
  }
}

export async function main(): Promise<void> {
  // A reader that goes away (`| head -1`, a closed terminal) loses the output,
  // never the work: a push or a jig in progress finishes (its log records
  // too) and the process exits with the job's own code.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  process.exitCode = await run(process.argv)
}
