import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FlashdataError } from '../errors.js'
import { collectFiles } from '../files/collect.js'
import type { ImageFileInput } from '../image/build.js'

export interface Generated {
  files: ImageFileInput[]
  exitCode: number
  /** stdout and stderr together, cut to the last OUTPUT_LIMIT bytes. */
  output: string
  durationMs: number
}

const OUTPUT_LIMIT = 4096

/**
 * Runs the station's generator for one board: `sh -c <command>` with
 * FLASHDATA_SERIAL and FLASHDATA_OUT (a new empty folder) in its
 * environment. The files it leaves in FLASHDATA_OUT are read, then the folder
 * is removed (it may hold keys). A non-zero exit, a timeout or no files fail
 * that board only (GENERATE_FAILED).
 */
export async function runGenerator(
  command: string,
  serial: string,
  options: { timeoutMs?: number; cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Generated> {
  const out = await mkdtemp(join(tmpdir(), 'flashdata-generate-'))
  const started = Date.now()
  const timeoutMs = options.timeoutMs ?? 60_000
  try {
    const { code, output, timedOut } = await new Promise<{ code: number; output: string; timedOut: boolean }>(
      (resolve, reject) => {
        const child = spawn('sh', ['-c', command], {
          cwd: options.cwd,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...(options.env ?? process.env), FLASHDATA_SERIAL: serial, FLASHDATA_OUT: out },
        })
        let output = ''
        const keep = (chunk: Buffer) => {
          output = (output + chunk.toString()).slice(-OUTPUT_LIMIT)
        }
        child.stdout.on('data', keep)
        child.stderr.on('data', keep)
        let timedOut = false
        // The whole process group, so a shell's children go too.
        const timer = setTimeout(() => {
          timedOut = true
          try {
            process.kill(-child.pid!, 'SIGKILL')
          } catch {
            /* already gone */
          }
        }, timeoutMs)
        child.on('error', (error) => {
          clearTimeout(timer)
          reject(error)
        })
        child.on('close', (code, signal) => {
          clearTimeout(timer)
          resolve({ code: code ?? (signal ? 128 : 1), output, timedOut })
        })
      },
    )
    const durationMs = Date.now() - started
    const fail = (why: string) =>
      new FlashdataError(
        'GENERATE_FAILED',
        `The generator for ${serial} ${why}.${output ? ` Its output: ${output.trim().slice(-300)}` : ''}`,
        {
          hint: 'Run the command by hand with FLASHDATA_SERIAL and FLASHDATA_OUT set to see what goes wrong. The board was not touched.',
          details: { serial, command, exitCode: code, output, durationMs },
        },
      )
    if (timedOut) throw fail(`did not finish within ${timeoutMs / 1000} s and was stopped`)
    if (code !== 0) throw fail(`exited with code ${code}`)
    const files = await collectFiles([out])
      .then((c) => c.files)
      .catch((error: FlashdataError) => {
        throw error.code === 'INPUT_EMPTY' ? fail('wrote no files into FLASHDATA_OUT') : error
      })
    return { files, exitCode: code, output, durationMs }
  } catch (error) {
    if (error instanceof FlashdataError) throw error
    throw new FlashdataError('GENERATE_FAILED', `Cannot run the generator for ${serial}: ${(error as Error).message}`, {
      details: { serial, command },
    })
  } finally {
    await rm(out, { recursive: true, force: true })
  }
}
