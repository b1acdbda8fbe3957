import { basename, extname } from 'node:path'
import pg from 'pg'
import { FlashdataError } from '../errors.js'
import { exhausted } from './ledger-file.js'
import type { Ledger, LedgerEntry, Reservation } from './ledger.js'
import type { Pool, PoolRow } from './pool.js'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS flashdata_rows (
  pool text NOT NULL,
  pool_row integer NOT NULL,
  pinned text,
  serial text,
  state text NOT NULL DEFAULT 'free' CHECK (state IN ('free', 'reserved', 'committed')),
  station text,
  reserved_at timestamptz,
  committed_at timestamptz,
  PRIMARY KEY (pool, pool_row)
);
CREATE UNIQUE INDEX IF NOT EXISTS flashdata_rows_serial ON flashdata_rows (pool, serial);`

/** The URL without its password, for messages and records. */
export function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@')
}

function failed(location: string, error: unknown): FlashdataError {
  if (error instanceof FlashdataError) return error
  return new FlashdataError('LEDGER_FAILED', `The PostgreSQL ledger ${location} failed: ${(error as Error).message}`, {
    hint: 'Check that the server is reachable and the URL (user, password, database) is right; no board was touched for this record.',
    details: { ledger: location },
    cause: error,
  })
}

/**
 * The ledger in PostgreSQL, for several stations drawing from one pool. Each
 * reservation is one transaction: the board's existing row, else a free row
 * taken with SELECT ... FOR UPDATE SKIP LOCKED (two stations never wait for or
 * get the same row), set to the board's serial and committed before the board
 * is touched. A station that dies mid-transaction leaves nothing; one that
 * dies after leaves the row reserved for that serial. The pool's rows are
 * keyed by the table's file name ("certs.csv" -> "certs").
 */
class PostgresLedger implements Ledger {
  readonly location: string
  private readonly name: string

  constructor(
    url: string,
    private readonly db: pg.Pool,
    private readonly pool: Pool,
    private readonly station?: string,
  ) {
    this.location = redact(url)
    this.name = basename(pool.path, extname(pool.path))
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.db.connect().catch((error) => {
      throw failed(this.location, error)
    })
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw failed(this.location, error)
    } finally {
      client.release()
    }
  }

  /** Creates the table if needed and adds the pool's rows (existing rows are never changed). */
  async setup(): Promise<void> {
    await this.transaction(async (client) => {
      // Stations starting at once: one creates the table, the others wait here.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('flashdata_rows'))")
      await client.query(SCHEMA)
      const rows = this.pool.rows
      await client.query(
        'INSERT INTO flashdata_rows (pool, pool_row, pinned) SELECT $1, r, p FROM unnest($2::int[], $3::text[]) AS t(r, p) ON CONFLICT (pool, pool_row) DO NOTHING',
        [this.name, rows.map((r) => r.row), rows.map((r) => r.serial ?? null)],
      )
    })
  }

  private rowOf(n: number): PoolRow {
    const row = this.pool.rows.find((r) => r.row === n)
    if (!row)
      throw new FlashdataError(
        'POOL_INVALID',
        `The ledger ${this.location} gives row ${n} of pool "${this.name}", which "${this.pool.path}" does not have.`,
      )
    return row
  }

  reserve<T>(serial: string, accept: (row: PoolRow, reused: boolean) => Promise<T>): Promise<Reservation<T>> {
    return this.transaction(async (client) => {
      const held = await client.query<{ row: number }>(
        'SELECT pool_row AS row FROM flashdata_rows WHERE pool = $1 AND serial = $2',
        [this.name, serial],
      )
      if (held.rows.length) {
        const row = this.rowOf(held.rows[0].row)
        return { row, reused: true, value: await accept(row, true) }
      }
      const pick = await client.query<{ row: number }>(
        `SELECT pool_row AS row FROM flashdata_rows WHERE pool = $1 AND serial IS NULL AND (pinned = $2 OR pinned IS NULL)
         ORDER BY pinned IS NULL, pool_row LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [this.name, serial],
      )
      if (!pick.rows.length) throw exhausted(this.pool, this.location)
      const row = this.rowOf(pick.rows[0].row)
      const value = await accept(row, false)
      await client.query(
        "UPDATE flashdata_rows SET serial = $3, state = 'reserved', station = $4, reserved_at = now() WHERE pool = $1 AND pool_row = $2",
        [this.name, row.row, serial, this.station ?? null],
      )
      return { row, reused: false, value }
    })
  }

  async commit(serial: string, row: number): Promise<void> {
    await this.transaction((client) =>
      client.query(
        "UPDATE flashdata_rows SET state = 'committed', committed_at = now() WHERE pool = $1 AND pool_row = $2 AND serial = $3 AND state = 'reserved'",
        [this.name, row, serial],
      ),
    )
  }

  async entries(): Promise<LedgerEntry[]> {
    const result = await this.db
      .query<LedgerEntry>(
        'SELECT pool_row AS row, serial, state FROM flashdata_rows WHERE pool = $1 AND serial IS NOT NULL ORDER BY pool_row',
        [this.name],
      )
      .catch((e) => {
        throw failed(this.location, e)
      })
    return result.rows
  }

  async close(): Promise<void> {
    await this.db.end()
  }
}

export async function openPostgresLedger(url: string, pool: Pool, station?: string): Promise<Ledger> {
  const db = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 10_000 })
  db.on('error', () => {}) // an idle connection dropped by the server: the next query reconnects or fails with LEDGER_FAILED
  const ledger = new PostgresLedger(url, db, pool, station)
  try {
    await ledger.setup()
  } catch (error) {
    await db.end().catch(() => {})
    throw error
  }
  return ledger
}
