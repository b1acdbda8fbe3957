import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

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
 * user would. `npm test` builds dist first.
 */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; prefix?: string[] } = {}): Promise<CliResult> {
  const [command, ...rest] = [...(options.prefix ?? []), process.execPath, CLI, ...args]
  return new Promise((resolve, reject) => {
    const child = spawn(command, rest, { cwd: options.cwd ?? REPO, env: { ...process.env, FORCE_COLOR: '0', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      const stdout = Buffer.concat(out)
      resolve({ code, stdout, stderr: Buffer.concat(err).toString(), text: stdout.toString() })
    })
  })
}

/** Parses NDJSON output into objects. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
}
