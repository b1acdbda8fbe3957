import { basename, extname } from 'node:path'
import pg from 'pg'
import { FlashdataError } from '../errors.js'
import { POSTGRES_CONNECT_MS } from '../timeouts.js'
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

/**
 * What the table itself refuses, so that a row edited by hand cannot free or
 * move a row a board holds: values (a row number from 1, a serial exactly
 * when the row is given), and a trigger that lets a given row change only
 * from reserved to committed, and refuses deleting it or emptying the table.
 * Added to a table of an older version too (a row that breaks them is found
 * by the check at open first), and put back when dropped.
 */
const GUARDS = `
ALTER TABLE flashdata_rows
  DROP CONSTRAINT IF EXISTS flashdata_rows_row_number,
  ADD CONSTRAINT flashdata_rows_row_number CHECK (pool_row >= 1),
  DROP CONSTRAINT IF EXISTS flashdata_rows_given,
  ADD CONSTRAINT flashdata_rows_given CHECK ((serial IS NULL) = (state = 'free') AND serial <> '');
CREATE OR REPLACE FUNCTION flashdata_rows_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF EXISTS (SELECT 1 FROM flashdata_rows WHERE serial IS NOT NULL) THEN
      RAISE EXCEPTION 'flashdata_rows holds rows given to boards: it is never emptied';
    END IF;
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.serial IS NOT NULL THEN
      RAISE EXCEPTION 'row % of pool % is given to %: it is never deleted', OLD.pool_row, OLD.pool, OLD.serial;
    END IF;
    RETURN OLD;
  END IF;
  IF NEW.pool IS DISTINCT FROM OLD.pool OR NEW.pool_row IS DISTINCT FROM OLD.pool_row THEN
    RAISE EXCEPTION 'row % of pool % is never renumbered', OLD.pool_row, OLD.pool;
  END IF;
  IF OLD.serial IS NOT NULL AND (NEW.serial IS DISTINCT FROM OLD.serial OR (NEW.state <> OLD.state
      AND NOT (OLD.state = 'reserved' AND NEW.state = 'committed'))) THEN
    RAISE EXCEPTION 'row % of pool % is given to %: it is never freed or given to another board', OLD.pool_row, OLD.pool, OLD.serial;
  END IF;
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS flashdata_rows_guard ON flashdata_rows;
CREATE TRIGGER flashdata_rows_guard BEFORE UPDATE OR DELETE ON flashdata_rows
  FOR EACH ROW EXECUTE FUNCTION flashdata_rows_guard();
DROP TRIGGER IF EXISTS flashdata_rows_guard_truncate ON flashdata_rows;
CREATE TRIGGER flashdata_rows_guard_truncate BEFORE TRUNCATE ON flashdata_rows
  FOR EACH STATEMENT EXECUTE FUNCTION flashdata_rows_guard();`

/** Whether the guards are all there (the catalog only: no lock on the table, which other stations are using). */
const GUARDED = `
SELECT (SELECT count(*) FROM pg_constraint WHERE conrelid = 'flashdata_rows'::regclass
          AND conname IN ('flashdata_rows_row_number', 'flashdata_rows_given')) = 2
   AND (SELECT count(*) FROM pg_trigger WHERE tgrelid = 'flashdata_rows'::regclass
          AND tgname IN ('flashdata_rows_guard', 'flashdata_rows_guard_truncate')) = 2 AS guarded`

/**
 * The pool's rows that no station would have written: a row number outside
 * the pool, a serial without a reservation or a reservation without a serial,
 * and a row missing below the highest one in the table (deleted: it may have
 * been given). One line each, for the error.
 */
const DAMAGE = `
SELECT pool_row AS n, format('row %s: %s', pool_row, CASE
    WHEN pool_row < 1 OR pool_row > $2 THEN format('not in the pool (rows 1 to %s)', $2)
    WHEN serial = '' OR (serial IS NULL) <> (state = 'free') THEN format('state %L with serial %L', state, serial)
  END) AS problem
FROM flashdata_rows
WHERE pool = $1 AND (pool_row < 1 OR pool_row > $2 OR serial = '' OR (serial IS NULL) <> (state = 'free'))
UNION ALL
SELECT r AS n, format('row %s: missing from the table, though row %s is there (deleted?)', r, top) AS problem
FROM (SELECT max(pool_row) AS top FROM flashdata_rows WHERE pool = $1 AND pool_row <= $2) AS m,
  generate_series(1, m.top) AS r
WHERE NOT EXISTS (SELECT 1 FROM flashdata_rows WHERE pool = $1 AND pool_row = r)
ORDER BY n
LIMIT 20`

/** The URL without its password, for messages and records. */
function redact(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@')
}

function failed(location: string, error: unknown): FlashdataError {
  if (error instanceof FlashdataError) return error
  return new FlashdataError(
    'LEDGER_FAILED',
    `The PostgreSQL ledger ${location} failed: ${(error as Error).message}. No board was touched for this record.`,
    {
      details: { ledger: location },
      cause: error,
    },
  )
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

  /**
   * Creates the table if needed, checks the pool's rows in it (a damaged one
   * refuses the ledger: LEDGER_CORRUPT), puts the guards on and adds the
   * pool's new rows (existing rows are never changed).
   */
  async setup(): Promise<void> {
    await this.transaction(async (client) => {
      // Stations starting at once: one creates the table, the others wait here.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('flashdata_rows'))")
      await client.query(SCHEMA)
      // Changing the table waits for the other stations' transactions: only when a guard is missing (a new
      // table, one of an older version, or one dropped by hand), and with the table locked first, since taking
      // that lock after reading it could deadlock with a station reserving a row.
      const { guarded } = (await client.query<{ guarded: boolean }>(GUARDED)).rows[0]
      if (!guarded) await client.query('LOCK TABLE flashdata_rows IN ACCESS EXCLUSIVE MODE')
      // Before any row is added: a deleted row must be found missing, not put back free.
      const damage = await client.query<{ n: number; problem: string }>(DAMAGE, [this.name, this.pool.rows.length])
      if (damage.rows.length) throw this.corrupt(damage.rows)
      if (!guarded) await client.query(GUARDS)
      const rows = this.pool.rows
      await client.query(
        'INSERT INTO flashdata_rows (pool, pool_row, pinned) SELECT $1, r, p FROM unnest($2::int[], $3::text[]) AS t(r, p) ON CONFLICT (pool, pool_row) DO NOTHING',
        [this.name, rows.map((r) => r.row), rows.map((r) => r.serial ?? null)],
      )
    })
  }

  private corrupt(damage: { n: number; problem: string }[]): FlashdataError {
    const [first, ...rest] = damage
    const also = rest.length ? ` (also ${rest.map((d) => d.problem).join('; ')})` : ''
    return new FlashdataError(
      'LEDGER_CORRUPT',
      `The PostgreSQL ledger ${this.location} is damaged: in table flashdata_rows, pool "${this.name}", ${first.problem}${also}. Nothing was touched.`,
      {
        details: {
          ledger: this.location,
          repairable: false,
          table: 'flashdata_rows',
          pool: this.name,
          row: first.n,
          damaged: damage.map((d) => d.problem),
        },
      },
    )
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
  const db = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: POSTGRES_CONNECT_MS })
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
