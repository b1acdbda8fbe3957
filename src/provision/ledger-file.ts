import { randomBytes } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { FlashdataError } from '../errors.js'
import { freeRows, type Ledger, type LedgerEntry, type Reservation } from './ledger.js'
import { withFileLock } from './lock.js'
import type { Pool, PoolRow } from './pool.js'

/** One line of the ledger file. */
interface Line {
  op: 'reserve' | 'commit'
  row: number
  serial: string
  claim?: string
  station?: string
  at: string
}

interface State {
  bySerial: Map<string, LedgerEntry>
  byRow: Map<number, LedgerEntry & { claim?: string }>
  /** The file does not end with a newline (a line torn by a crash): the next append starts a new line. */
  torn: boolean
}

/**
 * The ledger's meaning, from its lines in file order: the first reservation
 * of a row wins it, a board holds at most its first row, a commit counts only
 * for the row's holder. A torn last line (a crash mid-append) is ignored.
 */
function replay(text: string): State {
  const state: State = { bySerial: new Map(), byRow: new Map(), torn: text.length > 0 && !text.endsWith('\n') }
  for (const raw of text.split('\n')) {
    let line: Line
    try {
      line = JSON.parse(raw) as Line
    } catch {
      continue
    }
    if (line.op === 'reserve' && !state.byRow.has(line.row) && !state.bySerial.has(line.serial)) {
      const entry = { row: line.row, serial: line.serial, state: 'reserved' as const, claim: line.claim }
      state.byRow.set(line.row, entry)
      state.bySerial.set(line.serial, entry)
    } else if (line.op === 'commit' && state.byRow.get(line.row)?.serial === line.serial) {
      state.byRow.get(line.row)!.state = 'committed'
    }
  }
  return state
}

/**
 * The ledger as an append-only NDJSON file, each line flushed to disk
 * (fsync) before the board is touched. Stations on one machine share it
 * through a lock file; the first-claim rule above keeps a row with one board
 * even if the lock were ever bypassed.
 */
export class FileLedger implements Ledger {
  constructor(
    readonly location: string,
    private readonly pool: Pool,
    private readonly station?: string,
  ) {}

  private async read(): Promise<State> {
    const text = await readFile(this.location, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return ''
      throw new FlashdataError('LEDGER_FAILED', `Cannot read the ledger "${this.location}": ${error.message}`, {
        details: { path: this.location },
      })
    })
    return replay(text)
  }

  private async append(line: Line, torn: boolean): Promise<void> {
    try {
      const handle = await open(this.location, 'a')
      try {
        await handle.appendFile(`${torn ? '\n' : ''}${JSON.stringify(line)}\n`)
        await handle.sync()
      } finally {
        await handle.close()
      }
    } catch (error) {
      throw new FlashdataError(
        'LEDGER_FAILED',
        `Cannot write the ledger "${this.location}": ${(error as Error).message}`,
        {
          hint: "Check that the ledger's folder exists and is writable; no board was touched for this record.",
          details: { path: this.location },
        },
      )
    }
  }

  private rowOf(n: number): PoolRow {
    const row = this.pool.rows.find((r) => r.row === n)
    if (!row) {
      throw new FlashdataError(
        'POOL_INVALID',
        `The ledger "${this.location}" gives row ${n}, which the pool "${this.pool.path}" does not have.`,
        {
          hint: 'Rows must never be removed from a pool in use: restore the table, or start a new ledger for a new pool.',
        },
      )
    }
    return row
  }

  reserve<T>(serial: string, accept: (row: PoolRow, reused: boolean) => Promise<T>): Promise<Reservation<T>> {
    return withFileLock(this.location, async () => {
      for (;;) {
        const state = await this.read()
        const held = state.bySerial.get(serial)
        if (held) {
          const row = this.rowOf(held.row)
          return { row, reused: true, value: await accept(row, true) }
        }
        const pinned = this.pool.pinned.get(serial)
        const row =
          pinned && !state.byRow.has(pinned.row) ? pinned : freeRows(this.pool, new Set(state.byRow.keys()))[0]
        if (!row) throw exhausted(this.pool, this.location)
        const value = await accept(row, false)
        const claim = randomBytes(8).toString('hex')
        await this.append(
          { op: 'reserve', row: row.row, serial, claim, station: this.station, at: new Date().toISOString() },
          state.torn,
        )
        if ((await this.read()).byRow.get(row.row)?.claim === claim) return { row, reused: false, value }
      }
    })
  }

  commit(serial: string, row: number): Promise<void> {
    return withFileLock(this.location, async () => {
      const state = await this.read()
      if (state.byRow.get(row)?.state === 'committed') return
      await this.append({ op: 'commit', row, serial, station: this.station, at: new Date().toISOString() }, state.torn)
    })
  }

  async entries(): Promise<LedgerEntry[]> {
    return [...(await this.read()).byRow.values()].map(({ row, serial, state }) => ({ row, serial, state }))
  }

  async close(): Promise<void> {}
}

export function exhausted(pool: Pool, location: string): FlashdataError {
  return new FlashdataError(
    'POOL_EXHAUSTED',
    `The pool "${pool.path}" has no row left for a new board (${pool.rows.length} rows, all given out in ${location}).`,
    {
      hint: 'Add rows to the end of the pool table (never remove or reorder given rows) and start the station again.',
      details: { pool: pool.path, rows: pool.rows.length },
    },
  )
}
