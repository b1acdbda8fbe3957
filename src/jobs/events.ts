/**
 * Typed progress events of the jobs (push, verify, pull, jig). The CLI renders
 * them as a spinner with progress on a TTY, plain lines otherwise, or NDJSON;
 * library users subscribe with `onEvent`. events.schema.json beside this file
 * describes every event and result as the CLI prints them with --json; an
 * event or a field added here needs its entry there (test/jobs/events-schema.test.ts
 * checks that the two list the same event types; every line a test prints is
 * checked against the schema, and test/cli/json-fields.test.ts that every
 * field the schema names is printed).
 *
 * The contract:
 * - Each phase is `phase-start`, any number of `progress`, then exactly one of
 *   `phase-end` (it finished) or `phase-failed` (its work threw; `code` is the
 *   error's). A failed job's error follows as the command's error line.
 * - A phase may repeat: a failed write or verify is retried once from the
 *   erase, so erase, write and verify can each start twice in one push.
 * - `progress.totalBytes` is present only when the total is known; without it
 *   a screen shows an indeterminate bar, never a guessed percentage.
 * - `serial` is on every event of a board once the board is known (from the
 *   end of its connect phase on); station-wide events have none.
 * - `board-waiting`: the jig's station is paused and a board is left waiting.
 * - A sink (`onEvent`) that throws never stops the flash work: the error is
 *   reported once as a warning `message` to the same sink and the job goes on.
 */
import { type ErrorCode, toFlashdataError } from '../errors.js'
import type { ForeignContents } from '../image/sector.js'

/** Every phase of a job, in the order a push runs them (events.schema.json lists the same). */
export const PHASES = [
  'connect',
  'mode-switch',
  'compare',
  'erase',
  'write',
  'verify',
  'read',
  'leave',
  'reset',
  'wait-app',
] as const
export type Phase = (typeof PHASES)[number]

export type JobEvent =
  | { type: 'phase-start'; phase: Phase; serial?: string; totalBytes?: number; expectedMs?: number }
  | { type: 'progress'; phase: Phase; serial?: string; bytes: number; totalBytes?: number; elapsedMs: number }
  | {
      type: 'phase-end'
      phase: Phase
      serial?: string
      elapsedMs: number
      bytes?: number
      detail?: string
    }
  | { type: 'phase-failed'; phase: Phase; serial?: string; elapsedMs: number; bytes?: number; code: ErrorCode }
  | { type: 'message'; level: 'info' | 'warning'; serial?: string; message: string }
  | { type: 'board-attached'; serial: string; mode: string; platform: string; port?: string; slot?: string }
  | { type: 'board-waiting'; serial: string }
  | { type: 'board-done'; serial: string; record: JigRecord }

export type EventSink = (event: JobEvent) => void

/** Facts about the station, the same in every record. */
export interface StationStamp {
  station?: string
  host?: string
  version?: string
  /** SHA-256 of the job file the station runs. */
  jobSha256?: string
}

/** Where a board's own data came from: names and row numbers, never contents. */
export interface ProvisionFacts {
  overlay?: { folder: string; files: string[] }
  pool?: { row: number; files: string[]; reused: boolean }
  /** `output`: the generator's last 4 KiB, kept only when asked (--generate-keep-output): it may hold keys. */
  generated?: { files: string[]; exitCode: number; output?: string; durationMs: number }
  /** What packing the common and the board's own folder left out (paths with their folder), when anything was. */
  skipped?: { path: string; reason: string }[]
  /** Notes on packing them: --exclude patterns that matched nothing, Unicode twins. */
  warnings?: string[]
}

/** One attempt at one board by the jig: the record of its board-done event. */
export interface JigRecord extends StationStamp {
  /** The board's serial; for a board refused for its serial (DEVICE_SERIAL_INVALID), that serial escaped (shownSerial). */
  serial: string
  /** USB port path of the board ("1-1.4"), and the slot name the station maps it to. */
  port?: string
  slot?: string
  startedAt: string
  endedAt: string
  durationMs: number
  imageCrc?: number
  imageSize?: number
  imageSha256?: string
  provision?: ProvisionFacts
  /** What the sector held before, when it was someone else's data, and where it was saved. */
  foreign?: { contents: ForeignContents; backup?: string }
  /** Time spent in each phase that completed (for a failed board too). */
  phases: PhaseTimes
  /** aborted: the station was stopped (a second Ctrl-C, SIGTERM) while this board was in progress; its sector may be half-written. */
  outcome: 'flashed' | 'unchanged' | 'failed' | 'aborted'
  /** The phase a failed or aborted board stopped in (the last one begun). */
  failedPhase?: Phase
  /** Why it failed; `hint` is the CLI's next step, added where the CLI prints and logs records. */
  error?: { code: ErrorCode; message: string; hint?: string }
}

/**
 * Every event type, for code that must know them all (the schema test checks
 * events.schema.json lists the same); `satisfies` makes the compiler refuse a
 * type missing here or one the union does not have.
 */
export const EVENT_TYPES = Object.keys({
  'phase-start': true,
  progress: true,
  'phase-end': true,
  'phase-failed': true,
  message: true,
  'board-attached': true,
  'board-waiting': true,
  'board-done': true,
} satisfies Record<JobEvent['type'], true>) as JobEvent['type'][]

/**
 * A sink that never throws: the first throw is reported once to the sink
 * itself as a warning message (swallowed if that throws too); later events
 * are still offered to it.
 */
export function safeSink(sink: EventSink | undefined): EventSink {
  if (!sink) return () => {}
  let reported = false
  return (event) => {
    try {
      sink(event)
    } catch (error) {
      if (reported) return
      reported = true
      try {
        sink({
          type: 'message',
          level: 'warning',
          message: `An event listener threw on a ${event.type} event (${(error as Error)?.message ?? error}); the job goes on.`,
        })
      } catch {
        // The listener cannot take the notice either: the job still goes on.
      }
    }
  }
}

/**
 * How long the phases that move no bytes usually take, so a screen can show
 * elapsed against expected time: a 128 KiB sector erase of the STM32F205 is
 * 1 s typical (its datasheet's flash characteristics, x32 parallelism); the
 * DFU switch is Device OS's reset 1 s after the request plus the new
 * device's enumeration (about 300 ms), as the emulator models them.
 */
export const EXPECTED_MS: Partial<Record<Phase, number>> = { erase: 1000, 'mode-switch': 1300 }

/** Milliseconds spent in each phase of one job. */
export type PhaseTimes = Partial<Record<Phase, number>>

/** Emits phase start/progress/end events for one board and records phase times. */
export class PhaseTracker {
  readonly times: PhaseTimes = {}
  readonly startedAt = Date.now()
  serial?: string

  private readonly sink: EventSink

  constructor(sink?: EventSink) {
    this.sink = safeSink(sink)
  }

  emit(event: JobEvent): void {
    this.sink(this.serial === undefined ? event : { ...event, serial: this.serial })
  }

  message(message: string, level: 'info' | 'warning' = 'info'): void {
    this.emit({ type: 'message', level, message })
  }

  /**
   * Runs one phase; the callback gets a progress reporter for byte counts,
   * which also takes the total once the phase knows it (a read learns it
   * from the header; a compare that finds no flashdata image reads the whole
   * sector). A throw from the work is announced as phase-failed and thrown on.
   */
  async run<T>(
    phase: Phase,
    totalBytes: number | undefined,
    work: (progress: (bytes: number, total?: number) => void) => Promise<T>,
    describe?: (result: T) => { detail?: string },
  ): Promise<T> {
    const start = Date.now()
    let done: number | undefined
    let known = totalBytes
    this.emit({ type: 'phase-start', phase, totalBytes, expectedMs: EXPECTED_MS[phase] })
    const progress = (bytes: number, total?: number) => {
      done = bytes
      known = total ?? known
      const elapsedMs = Date.now() - start
      this.emit({ type: 'progress', phase, bytes, ...(known === undefined ? {} : { totalBytes: known }), elapsedMs })
    }
    let result: T
    try {
      result = await work(progress)
    } catch (error) {
      const { code } = toFlashdataError(error)
      this.emit({ type: 'phase-failed', phase, elapsedMs: Date.now() - start, bytes: done, code })
      throw error
    }
    const elapsedMs = Date.now() - start
    this.times[phase] = (this.times[phase] ?? 0) + elapsedMs
    // Bytes really moved: a compare that stops after the header reports 48, not the image size.
    this.emit({ type: 'phase-end', phase, elapsedMs, bytes: done ?? totalBytes, ...describe?.(result) })
    return result
  }

  get totalMs(): number {
    return Date.now() - this.startedAt
  }
}
