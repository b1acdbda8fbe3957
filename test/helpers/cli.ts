import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { checkCliOutput } from './schema.js'

export const CLI = fileURLToPath(new URL('../../bin/flashdata.js', import.meta.url))
export const REPO = fileURLToPath(new URL('../..', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: Buffer
  stderr: string
  text: string
}

/**
 * Runs the built CLI (bin/flashdata.js -> dist/) as a child process, as a
 * user would. `npm test` builds dist first. Rejects when a JSON line it
 * printed is not in src/jobs/events.schema.json (checkCliOutput).
 */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; prefix?: string[] } = {},
): Promise<CliResult> {
  const [command, ...rest] = [...(options.prefix ?? []), process.execPath, CLI, ...args]
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, FORCE_COLOR: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      const stdout = Buffer.concat(out)
      const stderr = Buffer.concat(err).toString()
      try {
        checkCliOutput(args, stdout, stderr)
      } catch (error) {
        return reject(error)
      }
      resolve({ code, stdout, stderr, text: stdout.toString() })
    })
  })
}

/** Parses NDJSON output into objects. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

/**
 * Starts the CLI and resolves `reached` once a line of its stdout matches;
 * `until` waits for later output the same way (it rejects if the process ends first).
 * `exited` rejects when what it printed fails checkCliOutput.
 */
export function startUntil(args: string[], env: NodeJS.ProcessEnv, ready?: (line: string) => boolean) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const waiters: { match: (lines: string[]) => boolean; resolve: () => void }[] = []
  const exited = new Promise<number | null>((resolve, reject) =>
    child.on('close', (code, signal) => {
      try {
        // A process killed outright (SIGKILL) had no chance to end its output.
        checkCliOutput(args, Buffer.from(out), err, { complete: signal === null })
      } catch (error) {
        return reject(error)
      }
      resolve(code ?? (signal ? -1 : null))
    }),
  )
  const until = (match: (lines: string[]) => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (match(out.split('\n'))) return resolve()
      waiters.push({ match, resolve })
      child.on('close', () => reject(new Error(`exited before the expected output:\n${out}`)))
    })
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    const lines = out.split('\n')
    for (const waiter of waiters.filter((w) => w.match(lines))) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
  })
  return {
    child,
    reached: ready ? until((lines) => lines.some(ready)) : Promise.resolve(),
    until,
    exited,
    output: () => out,
    errors: () => err,
  }
}
