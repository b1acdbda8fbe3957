import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { copyFile, open, readFile, rename, rm, truncate } from 'node:fs/promises'
import { FlashdataError } from '../errors.js'
import { plural } from '../text.js'
import { freeRows, type Ledger, type LedgerEntry, type Reservation } from './ledger.js'
import { replay, type Damage, type Line, type State } from './ledger-replay.js'
import { withFileLock } from './lock.js'
import type { Pool, PoolRow } from './pool.js'

const clip = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}...` : text)

/** The ledger refused: its file and the first damaged line, every damaged line in the details. */
function corrupt(path: string, damaged: Damage[]): FlashdataError {
  const [first, ...rest] = damaged
  const also = rest.length ? ` (also line${rest.length > 1 ? 's' : ''} ${rest.map((d) => d.line).join(', ')})` : ''
  return new FlashdataError(
    'LEDGER_CORRUPT',
    `The ledger "${path}" is damaged at line ${first.line}: ${first.reason}${also}. The line reads: ${clip(first.text)}. Nothing was touched.`,
    {
      details: {
        path,
        repairable: true,
        line: first.line,
        reason: first.reason,
        damaged: damaged.map((d) => ({ line: d.line, reason: d.reason, text: clip(d.text) })),
      },
    },
  )
}

const tornNotice = (path: string, torn: NonNullable<State['torn']>) =>
  `The ledger "${path}" ends with line ${torn.line} cut short by a crash mid-write (${clip(torn.text)}): no board was touched for it; it is ignored and removed at the next write.`

async function readLedgerText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw new FlashdataError('LEDGER_FAILED', `Cannot read the ledger "${path}": ${error.message}`, {
      details: { path },
    })
  })
}

/**
 * The ledger as an append-only NDJSON file, each line flushed to disk
 * (fsync) before the board is touched. Stations on one machine share it
 * through a lock file. Were the lock ever bypassed, a row reserved twice is
 * damage (replay): every station that reads it stops before a second board
 * gets the row.
 */
export class FileLedger implements Ledger {
  /** The torn last line already told about, by its line number. */
  private noticed?: number

  constructor(
    readonly location: string,
    private readonly pool: Pool,
    private readonly station?: string,
    /** Told once about a last line cut short by a crash (it is set aside, not damage). */
    private readonly onNotice?: (message: string) => void,
  ) {}

  /** Read under the lock only: another station's append in progress would look torn. A damaged line refuses the ledger. */
  private async read(): Promise<State> {
    const state = replay(await readLedgerText(this.location), this.pool.rows.length)
    if (state.damaged.length) throw corrupt(this.location, state.damaged)
    if (state.torn && state.torn.line !== this.noticed) {
      this.noticed = state.torn.line
      this.onNotice?.(tornNotice(this.location, state.torn))
    }
    return state
  }

  /** Refuses a damaged ledger before any board is touched (the station's check at start). */
  check(): Promise<void> {
    return withFileLock(this.location, async () => {
      await this.read()
    })
  }

  private async append(line: Line, state: State): Promise<void> {
    try {
      if (state.torn) await truncate(this.location, state.torn.offset)
      const handle = await open(this.location, 'a')
      try {
        await handle.appendFile(`${state.unterminated ? '\n' : ''}${JSON.stringify(line)}\n`)
        await handle.sync()
      } finally {
        await handle.close()
      }
    } catch (error) {
      throw new FlashdataError(
        'LEDGER_FAILED',
        `Cannot write the ledger "${this.location}": ${(error as Error).message}. No board was touched for this record.`,
        {
          details: { path: this.location },
        },
      )
    }
  }

  /** Rows are numbered 1 to n in table order, and replay admits only those. */
  private rowOf(n: number): PoolRow {
    return this.pool.rows[n - 1]
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
          state,
        )
        if ((await this.read()).byRow.get(row.row)?.claim === claim) return { row, reused: false, value }
      }
    })
  }

  commit(serial: string, row: number): Promise<void> {
    return withFileLock(this.location, async () => {
      const state = await this.read()
      if (state.byRow.get(row)?.state === 'committed') return
      await this.append({ op: 'commit', row, serial, station: this.station, at: new Date().toISOString() }, state)
    })
  }

  entries(): Promise<LedgerEntry[]> {
    return withFileLock(this.location, async () =>
      [...(await this.read()).byRow.values()]
        .sort((a, b) => a.row - b.row)
        .map(({ row, serial, state }) => ({ row, serial, state })),
    )
  }

  async close(): Promise<void> {}
}

export function exhausted(pool: Pool, location: string): FlashdataError {
  return new FlashdataError(
    'POOL_EXHAUSTED',
    `The pool "${pool.path}" has no row left for a new board (${plural(pool.rows.length, 'row')}, all given out in ${location}).`,
    {
      details: { pool: pool.path, rows: pool.rows.length },
    },
  )
}

/** The row a damaged line names, when one can be read from it (a repair keeps that row from being given again). */
function namedRow(text: string, rows: number): number | undefined {
  const n = Number(/"row"\s*:\s*"?(\d+)/.exec(text)?.[1])
  return Number.isInteger(n) && n >= 1 && n <= rows ? n : undefined
}

/**
 * The explicit repair (--repair-ledger): the file as it was is copied aside,
 * then rewritten with only the lines that count, dropping damaged lines and a
 * torn last line. A row a dropped line names and no kept line holds is
 * retired (reserved for "retired-line-N"): it may be on a board already, so
 * it is never given again. Returns what it did, for people.
 */
export async function repairLedgerFile(path: string, pool: Pool): Promise<string> {
  return withFileLock(path, async () => {
    const text = await readLedgerText(path)
    const state = replay(text, pool.rows.length)
    const dropped = [
      ...state.damaged,
      ...(state.torn ? [{ line: state.torn.line, reason: 'it was cut short by a crash', text: state.torn.text }] : []),
    ]
    if (!dropped.length) return `The ledger "${path}" has no damaged line: nothing was changed.`
    const retired = new Map<number, number>() // row -> the dropped line naming it
    const unknown: number[] = [] // dropped lines naming no row that can be read
    for (const d of dropped) {
      const row = namedRow(d.text, pool.rows.length)
      if (row === undefined) unknown.push(d.line)
      else if (!state.byRow.has(row) && !retired.has(row)) retired.set(row, d.line)
    }
    const at = new Date().toISOString()
    const lines = [
      ...state.kept,
      ...[...retired].map(([row, line]) =>
        JSON.stringify({ op: 'reserve', row, serial: `retired-line-${line}`, station: '--repair-ledger', at }),
      ),
    ]
    const copy = `${path}.damaged-${at.replace(/:/g, '-')}`
    const temporary = `${path}.repair-${process.pid}`
    try {
      await copyFile(path, copy, constants.COPYFILE_EXCL)
      const handle = await open(temporary, 'wx')
      try {
        await handle.writeFile(lines.map((line) => `${line}\n`).join(''))
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temporary, path)
    } catch (error) {
      await rm(temporary, { force: true })
      throw new FlashdataError('LEDGER_FAILED', `Cannot repair the ledger "${path}": ${(error as Error).message}`, {
        details: { path },
      })
    }
    const removed = dropped.map((d) => `line ${d.line} (${d.reason}): ${clip(d.text)}`).join('; ')
    const kept = retired.size
      ? ` Retired row${retired.size > 1 ? 's' : ''} ${[...retired.keys()].join(', ')}, named by a removed line and held by no other: never given again.`
      : ''
    const lost = unknown.length
      ? ` Line${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} name${unknown.length > 1 ? '' : 's'} no row that can be read: a row held only there may be given again.`
      : ''
    return `Repaired the ledger "${path}": removed ${plural(dropped.length, 'line')} and kept ${state.kept.length}. Removed ${removed}.${kept}${lost} The file as it was is kept in "${copy}". Check the boards the removed lines name.`
  })
}
