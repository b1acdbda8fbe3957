/**
 * What the station page shows, as data: built from the jig's own events by
 * the same function on both sides. The server keeps the full state, so a page
 * that opens or reloads mid-run gets all of it at once; then it applies the
 * events that follow. Browser-safe: the page bundles this file.
 */
import type { JigRecord, JobEvent, Phase, ProvisionFacts } from '../jobs/events.js'
import type { JigSummary } from '../jobs/jig/summary.js'
import { plural } from '../text.js'

/** The job every board gets: the common image, or where each board's own data comes from. */
export interface StationJob {
  station: string
  image?: { size: number; crc: number; files: { name: string; length: number }[] }
  /** Per-board sources (folder, pool, generator), when the station provisions. */
  sources?: { perBoard?: string; pool?: string; generate?: string }
  slots?: Record<string, string>
}

export type Control = 'running' | 'paused' | 'stopping' | 'stopped'

/** One board as its tile and list item show it: where it is, what it does, how it ended. */
export interface BoardView {
  serial: string
  slot?: string
  port?: string
  platform?: string
  /** The mode it arrived in: firmware or dfu. */
  mode?: string
  /** The phase under way, and its bytes so far. */
  phase?: Phase
  bytes?: number
  totalBytes?: number
  elapsedMs?: number
  /** Seen while the station is paused: not taken yet. */
  waiting?: boolean
  attempts: number
  /** The last attempt's record, once it is done. */
  record?: Pick<
    JigRecord,
    'outcome' | 'durationMs' | 'error' | 'failedPhase' | 'imageSize' | 'imageCrc' | 'provision' | 'endedAt'
  >
}

export interface StationState {
  job: StationJob
  control: Control
  startedAt: string
  firstBoardAt?: string
  /** Every board seen, in the order of their first arrival. */
  boards: BoardView[]
  /** Attempts done, and the sum of their durations, for the time per board. */
  attempts: number
  totalMs: number
  /** The latest failures, newest last. */
  failures: { serial: string; slot?: string; at: string; phase?: Phase; error: NonNullable<JigRecord['error']> }[]
  /** Station-wide messages, newest last. */
  messages: string[]
  /** Why the station stopped, when it has. */
  stoppedBy?: JigSummary['stoppedBy']
}

/** The station's own events, beside the jig's: the controls' state and the end. */
export type StationEvent =
  | JobEvent
  | { type: 'control'; control: Control }
  | { type: 'stopped'; stoppedBy: JigSummary['stoppedBy'] }

const KEEP_FAILURES = 10
const KEEP_MESSAGES = 20

export function initialState(job: StationJob, startedAt = new Date()): StationState {
  return {
    job,
    control: 'running',
    startedAt: startedAt.toISOString(),
    boards: [],
    attempts: 0,
    totalMs: 0,
    failures: [],
    messages: [],
  }
}

function board(state: StationState, serial: string): BoardView {
  let found = state.boards.find((b) => b.serial === serial)
  if (!found) {
    found = { serial, attempts: 0 }
    state.boards.push(found)
  }
  return found
}

const keepLast = <T>(list: T[], n: number) => list.splice(0, Math.max(0, list.length - n))

/** Applies one event to the state, in place. */
export function applyEvent(state: StationState, event: StationEvent): void {
  switch (event.type) {
    case 'control':
      state.control = event.control
      return
    case 'stopped':
      state.control = 'stopped'
      state.stoppedBy = event.stoppedBy
      return
    case 'message':
      if (event.serial) return
      keepLast(state.messages, KEEP_MESSAGES - 1)
      state.messages.push(event.message)
      return
    case 'board-waiting':
      board(state, event.serial).waiting = true
      return
    case 'board-attached': {
      const b = board(state, event.serial)
      Object.assign(b, {
        slot: event.slot,
        port: event.port,
        platform: event.platform,
        mode: event.mode,
        waiting: false,
        phase: undefined,
        bytes: undefined,
        totalBytes: undefined,
        record: undefined,
      })
      b.attempts++
      state.firstBoardAt ??= new Date().toISOString()
      return
    }
    case 'phase-start':
      if (event.serial)
        Object.assign(board(state, event.serial), {
          phase: event.phase,
          bytes: 0,
          totalBytes: event.totalBytes,
          elapsedMs: 0,
        })
      return
    case 'progress':
      if (event.serial)
        Object.assign(board(state, event.serial), {
          phase: event.phase,
          bytes: event.bytes,
          totalBytes: event.totalBytes,
          elapsedMs: event.elapsedMs,
        })
      return
    case 'phase-end':
    case 'phase-failed':
      return
    case 'board-done': {
      const r = event.record
      const b = board(state, r.serial)
      Object.assign(b, { phase: undefined, bytes: undefined, totalBytes: undefined, elapsedMs: undefined })
      b.record = {
        outcome: r.outcome,
        durationMs: r.durationMs,
        error: r.error,
        failedPhase: r.failedPhase,
        imageSize: r.imageSize,
        imageCrc: r.imageCrc,
        provision: r.provision,
        endedAt: r.endedAt,
      }
      state.attempts++
      state.totalMs += r.durationMs
      if (r.error && (r.outcome === 'failed' || r.outcome === 'aborted')) {
        keepLast(state.failures, KEEP_FAILURES - 1)
        state.failures.push({ serial: r.serial, slot: r.slot, at: r.endedAt, phase: r.failedPhase, error: r.error })
      }
    }
  }
}

/** Boards by their last attempt's outcome; in progress are those taken and not done. */
export function totals(state: StationState): {
  flashed: number
  unchanged: number
  failed: number
  inProgress: number
  waiting: number
} {
  const count = (test: (b: BoardView) => boolean) => state.boards.filter(test).length
  return {
    flashed: count((b) => b.record?.outcome === 'flashed'),
    unchanged: count((b) => b.record?.outcome === 'unchanged'),
    failed: count((b) => b.record?.outcome === 'failed' || b.record?.outcome === 'aborted'),
    inProgress: count((b) => b.attempts > 0 && !b.record),
    waiting: count((b) => b.waiting === true),
  }
}

/** Boards done per hour since the first one arrived, and the average time per attempt. */
export function pace(state: StationState, now: number): { perHour?: number; msPerBoard?: number } {
  const done = state.boards.filter((b) => b.record).length
  const since = state.firstBoardAt ? now - Date.parse(state.firstBoardAt) : 0
  return {
    perHour: done > 0 && since > 0 ? (done * 3_600_000) / since : undefined,
    msPerBoard: state.attempts > 0 ? state.totalMs / state.attempts : undefined,
  }
}

/** Where a board's own data came from, in a few words (names and rows, never contents). */
export function sourcesText(provision: ProvisionFacts | undefined): string | undefined {
  if (!provision) return undefined
  const parts = [
    provision.overlay && `overlay ${provision.overlay.folder} (${plural(provision.overlay.files.length, 'file')})`,
    provision.pool && `pool row ${provision.pool.row}${provision.pool.reused ? ' (reused)' : ''}`,
    provision.generated && `generated ${provision.generated.files.join(', ')}`,
  ].filter(Boolean)
  return parts.length ? parts.join('; ') : undefined
}
