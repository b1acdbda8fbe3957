import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmulatedElectron, openFlashFile, ExitCode, parseImage } from 'flashdata'
import { openPostgresLedger } from '../../src/provision/ledger-postgres.js'
import { loadPool } from '../../src/provision/pool.js'
import { CLI, REPO, ndjson, runCli, startUntil } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { startPostgres, type TestPostgres } from '../helpers/postgres.js'
import { tempDir } from '../helpers/tmp.js'

const server = await startPostgres()
if ('reason' in server) console.warn(`PostgreSQL ledger tests skipped: ${server.reason}`)
const pgServer = 'reason' in server ? undefined : (server as TestPostgres)
afterAll(() => pgServer?.stop())

/** A fresh database per test, so pools of the same name do not meet. */
async function database(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: pgServer!.url })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  return pgServer!.url.replace(/\/postgres$/, `/${name}`)
}

async function pool(dir: string, rows: number, header = 'device.crt'): Promise<string> {
  await writeTree(join(dir, 'common'), { 'ca.pem': 'CA' })
  const lines = [header]
  for (let i = 1; i <= rows; i++) {
    await writeTree(join(dir, 'rows'), { [`${i}.crt`]: `certificate ${i}` })
    lines.push(`${header.startsWith('serial,') ? ',' : ''}rows/${i}.crt`)
  }
  writeFileSync(join(dir, 'certs.csv'), `${lines.join('\n')}\n`)
  return join(dir, 'certs.csv')
}

describe.skipIf(!pgServer)('PostgreSQL ledger', () => {
  let url: string
  beforeAll(async () => {
    url = await database('ledger_lib')
  })

  it('reserves a row per board, gives a board its row again, commits it, and says when the pool is exhausted', async () => {
    const dir = await tempDir()
    const table = await loadPool(await pool(dir, 2))
    const ledger = await openPostgresLedger(url, table, 'A')
    try {
      const a = await ledger.reserve('a', async (row) => row.row)
      expect(a).toMatchObject({ reused: false, value: 1 })
      await expect(
        ledger.reserve('b', async () => {
          throw new Error('does not fit')
        }),
      ).rejects.toThrow('does not fit')
      expect(await ledger.reserve('b', async (row) => row.row)).toMatchObject({ reused: false, value: 2 }) // nothing was reserved by the failed check
      expect(await ledger.reserve('a', async (row) => row.row)).toMatchObject({ reused: true, value: 1 })
      await ledger.commit('a', 1)
      await expect(ledger.reserve('c', async () => 0)).rejects.toMatchObject({ code: 'POOL_EXHAUSTED' })
      expect(await ledger.entries()).toEqual([
        { row: 1, serial: 'a', state: 'committed' },
        { row: 2, serial: 'b', state: 'reserved' },
      ])
    } finally {
      await ledger.close()
    }
  })

  it('four station processes on one pool, one killed mid-write and restarted, never share a row', async () => {
    const dir = await tempDir()
    const csv = await pool(dir, 8)
    const ledgerUrl = await database('ledger_stations')
    const benches = [0, 1, 2, 3].map((s) => {
      const bench = join(dir, `bench-${s}`)
      mkdirSync(bench)
      for (let b = 0; b < 3; b++)
        new EmulatedElectron({
          flash: openFlashFile(join(bench, `dd${s}${b}${'0'.repeat(20)}.bin`)),
          timing: 'instant',
        }).close()
      return bench
    })
    const args = (bench: string) => [
      'jig',
      join(dir, 'common'),
      '--pool',
      csv,
      '--ledger',
      ledgerUrl,
      '--emulator',
      bench,
      '--timeout',
      '3',
      '--json',
    ]
    const killed = startUntil(
      args(benches[0]),
      { FLASHDATA_EMULATOR_TIMING: 'datasheet' },
      (l) => l.includes('"phase":"write"') && l.includes('"type":"progress"'),
    )
    await killed.reached
    killed.child.kill('SIGKILL')
    await killed.exited
    const station = (bench: string) =>
      new Promise<number | null>((resolve) => {
        spawn(process.execPath, [CLI, ...args(bench)], {
          cwd: REPO,
          env: { ...process.env, FLASHDATA_EMULATOR_TIMING: 'instant' },
          stdio: 'ignore',
        }).on('close', resolve)
      })
    const codes = await Promise.all(benches.map(station))
    expect(
      codes.every((c) => c === 0 || c === ExitCode.POOL_EXHAUSTED),
      String(codes),
    ).toBe(true)

    const db = new pg.Client({ connectionString: ledgerUrl })
    await db.connect()
    const { rows } = await db.query<{ pool_row: number; serial: string; state: string }>(
      'SELECT pool_row, serial, state FROM flashdata_rows ORDER BY pool_row',
    )
    await db.end()
    expect(rows.map((r) => [r.pool_row, r.state])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, 'committed']))
    expect(new Set(rows.map((r) => r.serial)).size).toBe(8)
    for (const r of rows) {
      const bench = benches[Number(r.serial[2])]
      const sector = (await readFile(join(bench, `${r.serial}.bin`))).subarray(0xa0000, 0xc0000)
      const parsed = parseImage(sector)
      const crt = parsed.files.find((f) => f.name === 'device.crt')!
      expect(new TextDecoder().decode(sector.subarray(crt.addr, crt.addr + crt.length))).toBe(
        `certificate ${r.pool_row}`,
      )
    }
  })

  /** Runs SQL as someone editing the table by hand; `bypass`: a superuser with triggers off (session_replication_role). */
  async function byHand(ledgerUrl: string, sql: string, bypass = false): Promise<void> {
    const db = new pg.Client({ connectionString: ledgerUrl })
    await db.connect()
    try {
      if (bypass) await db.query('SET session_replication_role = replica')
      await db.query(sql)
    } finally {
      await db.end()
    }
  }

  it('refuses hand edits that would free, move or hand over a given row', async () => {
    const dir = await tempDir()
    const table = await loadPool(await pool(dir, 3))
    const ledgerUrl = await database('ledger_guards')
    const ledger = await openPostgresLedger(ledgerUrl, table)
    await ledger.reserve('a', async () => 0)
    await ledger.commit('a', 1)
    await ledger.reserve('b', async () => 0)
    await ledger.close()
    const refused: [string, RegExp][] = [
      [
        "UPDATE flashdata_rows SET serial = NULL, state = 'free' WHERE pool_row = 1",
        /never freed or given to another board/,
      ],
      ["UPDATE flashdata_rows SET serial = 'c' WHERE pool_row = 2", /never freed or given to another board/],
      ["UPDATE flashdata_rows SET state = 'reserved' WHERE pool_row = 1", /never freed or given to another board/],
      ['UPDATE flashdata_rows SET pool_row = 9 WHERE pool_row = 3', /never renumbered/],
      ['DELETE FROM flashdata_rows WHERE pool_row = 2', /never deleted/],
      ['TRUNCATE flashdata_rows', /never emptied/],
      ["UPDATE flashdata_rows SET state = 'reserved' WHERE pool_row = 3", /flashdata_rows_given/],
      ["UPDATE flashdata_rows SET serial = '', state = 'reserved' WHERE pool_row = 3", /flashdata_rows_given/],
      ['UPDATE flashdata_rows SET pool_row = 0 WHERE pool_row = 3', /never renumbered/],
    ]
    for (const [sql, why] of refused) await expect(byHand(ledgerUrl, sql), sql).rejects.toThrow(why)
    const reopened = await openPostgresLedger(ledgerUrl, table)
    expect(await reopened.entries()).toEqual([
      { row: 1, serial: 'a', state: 'committed' },
      { row: 2, serial: 'b', state: 'reserved' },
    ])
    await reopened.close()
  })

  it('refuses to open a table whose rows were edited past its guards, naming the rows', async () => {
    const dir = await tempDir()
    const table = await loadPool(await pool(dir, 3))
    const cases: [string, string, RegExp, number][] = [
      [
        'deleted',
        'DELETE FROM flashdata_rows WHERE pool_row = 1',
        /row 1: missing from the table, though row 3 is there/,
        1,
      ],
      [
        'moved',
        'UPDATE flashdata_rows SET pool_row = 7 WHERE pool_row = 2',
        /row 2: missing .* \(also row 7: not in the pool \(rows 1 to 3\)\)/,
        2,
      ],
      [
        'freed',
        "ALTER TABLE flashdata_rows DROP CONSTRAINT flashdata_rows_given; UPDATE flashdata_rows SET state = 'free' WHERE pool_row = 1",
        /row 1: state 'free' with serial 'a'/,
        1,
      ],
    ]
    for (const [name, sql, why, row] of cases) {
      const ledgerUrl = await database(`ledger_${name}`)
      const ledger = await openPostgresLedger(ledgerUrl, table)
      await ledger.reserve('a', async () => 0)
      await ledger.reserve('b', async () => 0)
      await ledger.close()
      await byHand(ledgerUrl, sql, true)
      await expect(openPostgresLedger(ledgerUrl, table), name).rejects.toMatchObject({
        code: 'LEDGER_CORRUPT',
        message: expect.stringMatching(why),
        details: { table: 'flashdata_rows', pool: 'certs', row },
      })
    }
  })

  it('a station refuses a ledger whose reservation was deleted by hand (exit 3), and --repair-ledger is for files only', async () => {
    const dir = await tempDir()
    const csv = await pool(dir, 2)
    const ledgerUrl = await database('ledger_cli')
    const board = (name: string) => {
      const bench = join(dir, name)
      mkdirSync(bench)
      new EmulatedElectron({
        flash: openFlashFile(join(bench, `${name}${'0'.repeat(22)}.bin`)),
        timing: 'instant',
      }).close()
      return bench
    }
    const args = (bench: string) => [
      'jig',
      join(dir, 'common'),
      '--pool',
      csv,
      '--ledger',
      ledgerUrl,
      '--emulator',
      bench,
      '--count',
      '1',
      '--json',
    ]
    const first = await runCli(args(board('b1')), { env: { FLASHDATA_EMULATOR_TIMING: 'instant' } })
    expect(first.code, first.stderr).toBe(0)
    // A lost reservation, made past the table's guards: row 1 would be handed out again.
    await byHand(ledgerUrl, 'DELETE FROM flashdata_rows WHERE pool_row = 1', true)
    const second = board('b2')
    const refused = await runCli(args(second), { env: { FLASHDATA_EMULATOR_TIMING: 'instant' } })
    expect(refused.code).toBe(ExitCode.INPUT)
    expect(ndjson(refused.text).at(-1)).toMatchObject({
      type: 'error',
      code: 'LEDGER_CORRUPT',
      message: expect.stringContaining('pool "certs", row 1: missing from the table'),
    })
    expect(parseImage((await readFile(join(second, `b2${'0'.repeat(22)}.bin`))).subarray(0xa0000, 0xc0000)).valid).toBe(
      false,
    )
    const repair = await runCli([...args(second), '--repair-ledger'], { env: { FLASHDATA_EMULATOR_TIMING: 'instant' } })
    expect(repair.code).toBe(ExitCode.USAGE)
    expect(ndjson(repair.text).at(-1)).toMatchObject({
      code: 'BAD_OPTION',
      message: expect.stringContaining('--repair-ledger repairs a ledger file'),
    })
  })
})
