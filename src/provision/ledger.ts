import type { Pool, PoolRow } from './pool.js'

/** Which row went to which board: reserved before its erase, committed after its verify. */
export interface LedgerEntry {
  row: number
  serial: string
  state: 'reserved' | 'committed'
}

export interface Reservation<T> {
  row: PoolRow
  /** The board already held this row (a rerun, or a retry after a failure or an unplug). */
  reused: boolean
  value: T
}

export interface Ledger {
  /** Where the ledger lives, for messages and records (never a password). */
  readonly location: string
  /**
   * The board's row: the one the ledger already gives it, else its pinned
   * row, else the first row nobody holds, reserved durably before this
   * returns. `accept` checks the row (the image is built with it) before a
   * new reservation is written; if it throws, nothing is reserved. No row
   * left: POOL_EXHAUSTED.
   */
  reserve<T>(serial: string, accept: (row: PoolRow, reused: boolean) => Promise<T>): Promise<Reservation<T>>
  /** The board holds its row's data, verified. */
  commit(serial: string, row: number): Promise<void>
  entries(): Promise<LedgerEntry[]>
  close(): Promise<void>
}

/** The rows free for a new board, in table order: not pinned to another board and not held by anyone. */
export function freeRows(pool: Pool, held: Set<number>): PoolRow[] {
  return pool.rows.filter((r) => r.serial === undefined && !held.has(r.row))
}
