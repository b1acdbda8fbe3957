/**
 * The edge suite's harness: runs the real CLI as processes (with a timeout,
 * so a hang fails instead of stalling the suite), keeps emulated boards in
 * flash files and checks the suite's invariants after every run:
 *
 * - nothing outside sector 9 changes;
 * - a board's valid image is never destroyed by a command that failed;
 * - every failure ends with an exit code documented in docs/output.md's table, and
 *   none is INTERNAL (exit 1, "a bug");
 * - nothing hangs.
 *
 * Variants come from a seeded PRNG (EDGE_SEED, or FLASHDATA_EDGE_SEED to try
 * others), so a failure is reproduced by running the same seed again.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { expect } from 'vitest'
import { parseImage, SECTOR_SIZE } from 'flashdata'
import { FLASH_SIZE, factoryFlashContents } from '../../src/emulator/flash.js'
import { CLI, REPO } from '../helpers/cli.js'
import { checkCliOutput } from '../helpers/schema.js'

export const EDGE_SEED = Number(process.env.FLASHDATA_EDGE_SEED ?? 20_261_201)

/**
 * A test of many processes on a shared, loaded machine outlasts vitest's
 * default; a hang is caught per process by run()'s own timeout.
 */
export const EDGE_TEST_TIMEOUT_MS = 180_000

/** Offset of sector 9 (0x080A0000) in a flash file (offset 0 = 0x08000000). */
export const SECTOR_OFFSET = 0xa0000

/** A small deterministic PRNG (xorshift32) with the helpers variants need. */
export class Random {
  private x: number

  constructor(seed = EDGE_SEED) {
    this.x = seed >>> 0 || 1
  }

  next(): number {
    this.x ^= this.x << 13
    this.x >>>= 0
    this.x ^= this.x >>> 17
    this.x ^= this.x << 5
    this.x >>>= 0
    return this.x / 0x100000000
  }

  /** A whole number from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  bytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => this.int(0, 255))
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Killed (and reported as timedOut) after this long. */
  timeoutMs?: number
  /** Close the read end of stdout after this many lines (0: at once), as `| head -n N` does. */
  closeStdoutAfterLines?: number
  /** Close the read end of stderr at once (human output into a reader that went away). */
  closeStderr?: boolean
  /** Run through this command first (e.g. a pty wrapper); the CLI's argv follows it. */
  prefix?: string[]
}

export interface RunResult {
  args: string[]
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
  timedOut: boolean
}

/** Settings every edge run starts from: an emulated board in DFU mode, instant timing, no colours. */
export const EDGE_ENV: NodeJS.ProcessEnv = {
  FLASHDATA_EMULATOR_MODE: 'dfu',
  FLASHDATA_EMULATOR_TIMING: 'instant',
  FORCE_COLOR: '0',
  CI: 'true',
}

/** Runs bin/flashdata.js as a user would. A hang is a timed-out result; it rejects only when a JSON line it printed is not in the schema (checkCliOutput). */
export function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const [command, ...rest] = [...(options.prefix ?? []), process.execPath, CLI, ...args]
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout also ends what a wrapper (the pty) started.
    const child = spawn(command, rest, {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, ...EDGE_ENV, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      process.kill(-child.pid!, 'SIGKILL')
    }, options.timeoutMs ?? 60_000)
    let lines = 0
    if (options.closeStdoutAfterLines === 0) child.stdout.destroy()
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk)
      lines += chunk.toString().split('\n').length - 1
      if (options.closeStdoutAfterLines !== undefined && lines >= options.closeStdoutAfterLines) child.stdout.destroy()
    })
    if (options.closeStderr) child.stderr.destroy()
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const result = { args, code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), timedOut }
      // Output cut short (a closed pipe, a kill) is checked line by line only.
      const complete =
        !timedOut && signal === null && options.closeStdoutAfterLines === undefined && !options.closeStderr
      try {
        checkCliOutput(args, result.stdout, result.stderr, { complete })
      } catch (error) {
        return reject(error)
      }
      resolve(result)
    })
  })
}

/** Runs many variants, two at a time (the machine is shared), in order of the list. */
export async function runAll<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
  concurrency = 2,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i], i)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return results
}

/** The exit codes the "Exit codes" table of docs/output.md documents, read from that file itself. */
export function documentedExitCodes(): Set<number> {
  const output = readFileSync(join(REPO, 'docs/output.md'), 'utf8')
  const section = output.split(/^## Exit codes$/m)[1]?.split(/^## /m)[0] ?? ''
  return new Set([...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1])))
}

export interface FlashSnapshot {
  /** Hash of every byte outside sector 9. */
  outside: string
  sector: Buffer
  /** The sector holds a valid image. */
  valid: boolean
}

/** An emulated board kept in a flash file, as `--emulator <file>` uses it. */
export class BoardFile {
  /** The end of the last command queued on this board (see runOnBoard). */
  queue: Promise<unknown> = Promise.resolve()

  private constructor(readonly path: string) {}

  /** A factory-fresh board, or one whose sector 9 already holds `image`. */
  static async create(path: string, image?: Uint8Array): Promise<BoardFile> {
    const flash = factoryFlashContents()
    if (image) flash.set(image, SECTOR_OFFSET)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, flash)
    return new BoardFile(path)
  }

  get env(): NodeJS.ProcessEnv {
    return { FLASHDATA_EMULATOR: this.path }
  }

  async snapshot(): Promise<FlashSnapshot> {
    const flash = await readFile(this.path)
    expect(flash.length, `${this.path} is still a whole flash file`).toBe(FLASH_SIZE)
    const sector = flash.subarray(SECTOR_OFFSET, SECTOR_OFFSET + SECTOR_SIZE)
    const outside = createHash('sha256')
      .update(flash.subarray(0, SECTOR_OFFSET))
      .update(flash.subarray(SECTOR_OFFSET + SECTOR_SIZE))
      .digest('hex')
    return { outside, sector: Buffer.from(sector), valid: parseImage(sector).valid }
  }

  /** Sector 9 starts with exactly these bytes. */
  async holds(image: Uint8Array): Promise<boolean> {
    const { sector } = await this.snapshot()
    return Buffer.compare(sector.subarray(0, image.length), Buffer.from(image)) === 0
  }
}

const documented = documentedExitCodes()

/** Describes a run for assertion messages: the command and what it printed. */
export function describeRun(result: RunResult): string {
  return `flashdata ${result.args.map((a) => JSON.stringify(a)).join(' ')} -> ${result.timedOut ? 'TIMED OUT' : `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}`}\n${result.stderr.slice(0, 2000)}`
}

/** The invariants of every run: it ended, with a documented exit code that is not a bug. */
export function expectTypedEnd(result: RunResult): void {
  const what = describeRun(result)
  expect(result.timedOut, what).toBe(false)
  expect(result.code, what).not.toBeNull()
  expect(documented.has(result.code!), `${what}\nexit code not in docs/output.md's table`).toBe(true)
  expect(result.code, `${what}\nan internal error`).not.toBe(1)
  expect(result.stderr, what).not.toMatch(/this is a bug/i)
}

/** The board invariants: nothing outside sector 9 changed; a failure left a valid image as it was. */
export function expectBoardKept(before: FlashSnapshot, after: FlashSnapshot, result: RunResult): void {
  const what = describeRun(result)
  expect(after.outside, `${what}\nflash outside sector 9 changed`).toBe(before.outside)
  if (result.code !== 0 && before.valid)
    expect(after.sector.equals(before.sector), `${what}\na failed command changed a valid image`).toBe(true)
}

/**
 * Runs the CLI against a board and checks every invariant; returns the result
 * for the test's own checks. Commands on one board run one at a time, as on a
 * user's desk: two at once would meet the board's lock (BUSY), and each
 * command's before-and-after snapshots must be its own.
 */
export function runOnBoard(board: BoardFile, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const turn = board.queue.then(async () => {
    const before = await board.snapshot()
    const result = await run(args, { ...options, env: { ...board.env, ...options.env } })
    expectTypedEnd(result)
    expectBoardKept(before, await board.snapshot(), result)
    return result
  })
  board.queue = turn.catch(() => {})
  return turn
}
