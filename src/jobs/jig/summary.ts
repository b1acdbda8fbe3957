import type { JigRecord } from '../events.js'

/** Counts are of boards, each by its last attempt: a board that failed and then was flashed on a replug counts as flashed. */
export interface JigSummary {
  boards: number
  /** Attempts, retries of a board included (one record each). */
  attempts: number
  /** Written and verified. */
  flashed: number
  /** Already held the image: nothing written. */
  unchanged: number
  failed: number
  averageMs: number
  records: JigRecord[]
  /** Why the station stopped: abort is the hard stop, with the boards in progress recorded as aborted. */
  stoppedBy: 'count' | 'timeout' | 'signal' | 'pool-exhausted' | 'abort'
}

/** The station's totals from its records, in the order they were made. */
export function summarize(records: JigRecord[], stoppedBy: JigSummary['stoppedBy']): JigSummary {
  const boards = lastAttempts(records)
  const count = (outcome: JigRecord['outcome']) => boards.filter((r) => r.outcome === outcome).length
  return {
    boards: boards.length,
    attempts: records.length,
    flashed: count('flashed'),
    unchanged: count('unchanged'),
    // Aborted boards count as failed: their sectors may hold half-written images.
    failed: count('failed') + count('aborted'),
    averageMs: records.length ? Math.round(records.reduce((sum, r) => sum + r.durationMs, 0) / records.length) : 0,
    records,
    stoppedBy,
  }
}

/** Each board's last record, in the order the boards were first seen. */
export function lastAttempts(records: JigRecord[]): JigRecord[] {
  const last = new Map<string, JigRecord>()
  for (const record of records) last.set(record.serial, record)
  return [...last.values()]
}
