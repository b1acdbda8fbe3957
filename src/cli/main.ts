import { Command, CommanderError } from 'commander'
import { ExitCode, type FlashdataError, toFlashdataError } from '../errors.js'
import { CliError } from './hints.js'
import { registerBuild } from './commands/build.js'
import { registerCompletion } from './commands/completion.js'
import { registerDevices } from './commands/devices.js'
import { registerDoctor } from './commands/doctor.js'
import { registerExtract } from './commands/extract.js'
import { registerInspect } from './commands/inspect.js'
import { registerJig } from './commands/jig.js'
import { registerModeCommands } from './commands/mode.js'
import { registerPull } from './commands/pull.js'
import { registerPush } from './commands/push.js'
import { registerUdev } from './commands/udev.js'
import { registerVerify } from './commands/verify.js'
import { registerWeb } from './commands/web.js'
import { errorJson, printError, printJson, printResult, processIo, type CliIo } from './io.js'
import { wrap } from './render/style.js'
import { versions, versionsText } from './versions.js'

type Register = (program: Command, io: CliIo) => void

/**
 * Every command by the words that run it. A command line runs one command and
 * only that one is set up (setting up all of them is a measurable part of
 * start-up); with none named (help, usage errors, a word not listed here)
 * all are, so commander can list them and suggest the right one.
 */
export const COMMANDS: Record<string, Register> = {
  push: registerPush,
  verify: registerVerify,
  pull: registerPull,
  devices: registerDevices,
  list: registerDevices,
  dfu: registerModeCommands,
  reset: registerModeCommands,
  jig: registerJig,
  build: registerBuild,
  inspect: registerInspect,
  extract: registerExtract,
  web: registerWeb,
  doctor: registerDoctor,
  udev: registerUdev,
  completion: (program, io) => registerCompletion(program, io, () => createProgram(['node', 'flashdata'], io, false)),
}

const VERSION_FLAGS = ['-V', '--version']

/** `flashdata --version [--json]`: answered before commander is set up at all (start-up time). */
function isVersionRequest(args: string[]): boolean {
  return (
    args.some((arg) => VERSION_FLAGS.includes(arg)) &&
    args.every((arg) => VERSION_FLAGS.includes(arg) || arg === '--json')
  )
}

function commandsFor(argv: string[]): Register[] {
  const args = argv.slice(2)
  const word = args.find((arg) => !arg.startsWith('-'))
  const named = word !== undefined && Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined
  return named ? [named] : [...new Set(Object.values(COMMANDS))]
}

/**
 * `-o -` (or `--output -`, `--output=-`, `-o-`) on the command line: for a
 * usage error, found before the options are parsed.
 */
function outputIsStdout(args: string[]): boolean {
  return args.some(
    (arg, i) => arg === '--output=-' || arg === '-o-' || ((arg === '-o' || arg === '--output') && args[i + 1] === '-'),
  )
}

/** Commander's words ("error: unknown option '--bogus'") as an error of ours, for --json. */
function usageError(error: CommanderError, args: string[]): FlashdataError {
  const [first, ...rest] = error.message.replace(/^error: /, '').split('\n')
  const message =
    error.code === 'commander.help'
      ? 'No command given.'
      : `${first.charAt(0).toUpperCase()}${first.slice(1)}${/[.?!]$/.test(first) ? '' : '.'}`
  const suggestion = rest.join(' ').replace(/^\((.*)\)$/, '$1')
  const word = args.find((arg) => Object.hasOwn(COMMANDS, arg))
  return new CliError('BAD_OPTION', message, suggestion || `Run flashdata ${word ? `${word} ` : ''}--help for usage.`, {
    details: { commander: error.code },
  })
}

function createProgram(argv: string[], io: CliIo, json: boolean): Command {
  const program = new Command('flashdata')
    .description(
      "Put data files into the Particle Electron's spare 128 KiB flash sector over USB: pack, write, verify.",
    )
    // Listed for --help; isVersionRequest answers it.
    .option('-V, --version', 'print the flashdata, Node.js and usb versions (--json: one object)')
    .showHelpAfterError('(run with --help for usage)')
    // With --json a usage error is one error line (printed by run), not commander's text.
    // Help on a terminal is wrapped at spaces to its width, never mid-word (processIo's stdout wraps too).
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => {
        if (!json) io.stderr.write(wrap(s, io.stderr.isTTY ? io.stderr.columns : undefined))
      },
    })
    .exitOverride()
    .hook('preAction', (_program, command) => {
      io.dataOnStdout = command.opts().output === '-'
    })
  for (const register of commandsFor(argv)) register(program, io)
  program.addHelpText(
    'after',
    `
Examples:
  $ flashdata push data                     pack data/ and write it to the connected Electron
  $ flashdata verify data                   does the board hold exactly data/?
  $ flashdata push data --emulator e.bin    the same on an emulated Electron
  $ flashdata build data -o data.bin        pack a folder into an image
  $ flashdata inspect data.bin              list and check an image
  $ flashdata web                           the same in a browser page, over WebUSB
  $ flashdata doctor                        why a board cannot be used here, and the fix

Exit codes are listed in docs/output.md of the repository; 0 means success.`,
  )
  return program
}

/** Runs the CLI and resolves to the process exit code; never throws. */
export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  if (isVersionRequest(argv.slice(2))) {
    const found = versions()
    if (argv.includes('--json')) printResult(io, 'version', found)
    else io.stdout.write(versionsText(found))
    return 0
  }
  const json = argv.includes('--json')
  const program = createProgram(argv, io, json)
  try {
    await program.parseAsync(argv)
    return io.exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      if (error.exitCode === 0) return 0
      if (json) {
        io.dataOnStdout = outputIsStdout(argv.slice(2))
        printJson(io, errorJson(usageError(error, argv.slice(2))))
      }
      return ExitCode.USAGE
    }
    const failure = toFlashdataError(error)
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

/**
 * Called by bin/ once the command is done (and its code cache saved): the
 * process ends as soon as its output is written, not when the last USB
 * handle or timer lets go (the jig's summary was followed by seconds of
 * nothing).
 */
export async function exit(): Promise<void> {
  await Promise.all(
    [process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))),
  )
  process.exit()
}
