import { FlashdataError } from '../errors.js'
import { printable } from '../image/names.js'

/** Where a command's human and machine output goes; injectable for tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  env: NodeJS.ProcessEnv
  /** Set by a command that ends without an error but must not exit 0 (e.g. an invalid image listed). */
  exitCode: number
}

export const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, exitCode: 0 })

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`)
}

export function errorJson(error: FlashdataError): Record<string, unknown> {
  return { type: 'error', exitCode: error.exitCode, ...error.toJSON() }
}

/** Prints an error for people: the message, then what to do next. */
export function printError(io: CliIo, error: FlashdataError): void {
  // Messages quote paths and names, which may hold control characters.
  const safe = (text: string) => text.split('\n').map(printable).join('\n')
  io.stderr.write(`flashdata: ${safe(error.message)}\n`)
  if (error.hint) io.stderr.write(`  ${safe(error.hint)}\n`)
}

/** Anything thrown that is not ours becomes INTERNAL, with the original kept. */
export function asFlashdataError(error: unknown): FlashdataError {
  if (error instanceof FlashdataError) return error
  return new FlashdataError('INTERNAL', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, {
    hint: 'This is a bug in flashdata; please report it with the command you ran.', cause: error,
  })
}
