import type { FlashdataError } from '../errors.js'
import { cliHint } from './hints.js'
import { printable } from '../image/names.js'
import { wrap } from './render/style.js'

/** Where a command's human and machine output goes; injectable for tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  env: NodeJS.ProcessEnv
  /** Set by a command that ends without an error but must not exit 0 (e.g. an invalid image listed). */
  exitCode: number
  /** Standard output carries data (`-o -`): machine output goes to standard error instead. */
  dataOnStdout?: boolean
}

/** Text for a terminal, wrapped at spaces to its width; a pipe or file gets it as written (and data, bytes, always). */
function wrapped(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  if (!stream.isTTY) return stream
  const write = (chunk: unknown, ...rest: unknown[]) =>
    (stream.write as (...args: unknown[]) => boolean)(
      typeof chunk === 'string' ? wrap(chunk, stream.columns) : chunk,
      ...rest,
    )
  return new Proxy(stream, { get: (target, key) => (key === 'write' ? write : Reflect.get(target, key)) })
}

/**
 * The columns a screen line on standard output may fill: one less than the
 * terminal's, as wrap() leaves (a line that reaches the last column wraps on
 * some terminals); undefined when it is not a terminal (a pipe gets whole lines).
 */
export function stdoutWidth(io: CliIo): number | undefined {
  return io.stdout.isTTY && (io.stdout.columns ?? 0) > 0 ? io.stdout.columns! - 1 : undefined
}

export const processIo = (): CliIo => ({
  stdout: wrapped(process.stdout),
  stderr: process.stderr,
  env: process.env,
  exitCode: 0,
})

/** One NDJSON line: on standard output, or standard error when standard output carries data. */
export function printJson(io: CliIo, value: { type: string; [key: string]: unknown }): void {
  ;(io.dataOnStdout ? io.stderr : io.stdout).write(`${JSON.stringify(value)}\n`)
}

/** The last line of a command that succeeded, named by its command (events.schema.json describes each). */
export function printResult(io: CliIo, command: string, value: object): void {
  printJson(io, { type: 'result', command, ...value })
}

export function errorJson(error: FlashdataError): { type: 'error'; [key: string]: unknown } {
  const { code, message, details } = error.toJSON()
  return { type: 'error', exitCode: error.exitCode, code, message, hint: cliHint(error), details }
}

/** Prints an error for people: the message, then what to do next. */
export function printError(io: CliIo, error: FlashdataError): void {
  // Messages quote paths and names, which may hold control characters.
  const safe = (text: string) =>
    wrap(text.split('\n').map(printable).join('\n'), io.stderr.isTTY ? io.stderr.columns : undefined)
  io.stderr.write(`${safe(`flashdata: ${error.message}`)}\n`)
  io.stderr.write(`${safe(`  ${cliHint(error)}`)}\n`)
}
