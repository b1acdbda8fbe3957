import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FlashdataError } from '../errors.js'
import { collectFiles } from '../files/collect.js'
import { GENERATE_MS } from '../timeouts.js'
import type { ImageFileInput } from '../image/build.js'
import { failureLines } from './generate-output.js'

export interface Generated {
  files: ImageFileInput[]
  exitCode: number
  /** stdout and stderr together, cut to the last OUTPUT_LIMIT bytes. */
  output: string
  durationMs: number
}

const OUTPUT_LIMIT = 4096

/** The last `limit` bytes of a file, as text. */
async function tail(path: string, limit: number): Promise<string> {
  const handle = await open(path, 'r')
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, limit)
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, size - length)
    return buffer.subarray(0, bytesRead).toString()
  } finally {
    await handle.close()
  }
}

/**
 * Runs the station's generator for one board: `sh -c <command>` with
 * FLASHDATA_SERIAL and FLASHDATA_OUT (a new empty folder) in its
 * environment. The files it leaves in FLASHDATA_OUT are read, then the folder
 * is removed (it may hold keys). A non-zero exit, a timeout or no files fail
 * that board only (GENERATE_FAILED).
 *
 * Its output goes to a file, read once the shell has exited: a process it
 * leaves running (gpg-agent, ssh-agent, `sleep 600 &`) inherits that file, and
 * would hold a pipe open, so waiting for pipes to close would wait for it.
 */
export async function runGenerator(
  command: string,
  serial: string,
  options: { timeoutMs?: number; cwd?: string; env?: Record<string, string | undefined>; keepOutput?: boolean } = {},
): Promise<Generated> {
  const work = await mkdtemp(join(tmpdir(), 'flashdata-generate-'))
  const out = join(work, 'out')
  const log = join(work, 'output')
  const started = Date.now()
  const timeoutMs = options.timeoutMs ?? GENERATE_MS
  try {
    await mkdir(out)
    const sink = await open(log, 'a')
    const { code, timedOut } = await new Promise<{ code: number; timedOut: boolean }>((resolve, reject) => {
      const child = spawn('sh', ['-c', command], {
        cwd: options.cwd,
        detached: true,
        // stdout and stderr share one file, so their lines stay in the order they were written.
        stdio: ['ignore', sink.fd, sink.fd],
        env: { ...(options.env ?? process.env), FLASHDATA_SERIAL: serial, FLASHDATA_OUT: out },
      })
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
      child.on('exit', (code, signal) => {
        clearTimeout(timer)
        resolve({ code: code ?? (signal ? 128 : 1), timedOut })
      })
    }).finally(() => sink.close())
    const output = await tail(log, OUTPUT_LIMIT)
    const durationMs = Date.now() - started
    const last = failureLines(output)
    const fail = (why: string) =>
      new FlashdataError(
        'GENERATE_FAILED',
        `The generator for ${serial} ${why}.${last.length ? ` Its output: ${last.join(' | ')}` : ''}`,
        {
          details: {
            serial,
            command,
            exitCode: code,
            output: options.keepOutput ? output : last.join('\n'),
            durationMs,
          },
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
    await rm(work, { recursive: true, force: true })
  }
}
