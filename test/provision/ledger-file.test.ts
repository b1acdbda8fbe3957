import { spawnSync } from 'node:child_process'
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileLedger, repairLedgerFile } from '../../src/provision/ledger-file.js'
import { loadPool } from '../../src/provision/pool.js'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

async function setup(rows: number): Promise<{ dir: string; ledger: FileLedger; path: string }> {
  const dir = await tempDir()
  const lines = ['key.pem']
  for (let i = 1; i <= rows; i++) {
    await writeTree(dir, { [`${i}.pem`]: `key ${i}` })
    lines.push(`${i}.pem`)
  }
  writeFileSync(join(dir, 'pool.csv'), `${lines.join('\n')}\n`)
  const path = join(dir, 'ledger.ndjson')
  return { dir, path, ledger: new FileLedger(path, await loadPool(join(dir, 'pool.csv')), 'A') }
}

const row = async (ledger: FileLedger, serial: string) => (await ledger.reserve(serial, async () => undefined)).row.row

describe('ledger file', () => {
  it('takes over a lock left by a station that was killed', async () => {
    const { ledger, path } = await setup(2)
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: Number(dead), host: hostname(), at: new Date().toISOString() }))
    expect(await row(ledger, 'a')).toBe(1)
  })

  it('sets aside a last line cut short by a crash, with a notice, and removes it at the next write', async () => {
    const { path, dir } = await setup(3)
    const notices: string[] = []
    const ledger = new FileLedger(path, await loadPool(join(dir, 'pool.csv')), 'A', (m) => notices.push(m))
    expect(await row(ledger, 'a')).toBe(1)
    appendFileSync(path, '{"op":"reserve","row":2,"ser') // power lost mid-append
    expect(await row(ledger, 'b')).toBe(2)
    expect(notices).toEqual([expect.stringContaining(`The ledger "${path}" ends with line 2 cut short by a crash`)])
    expect(await row(ledger, 'a')).toBe(1)
    expect(readFileSync(path, 'utf8').split('\n')).toEqual([
      expect.stringContaining('"serial":"a"'),
      expect.stringContaining('"serial":"b"'),
      '',
    ])
    expect(await ledger.entries()).toEqual([
      { row: 1, serial: 'a', state: 'reserved' },
      { row: 2, serial: 'b', state: 'reserved' },
    ])
    expect(notices).toHaveLength(1)
  })

  const reserve = (row: unknown, serial: unknown) => JSON.stringify({ op: 'reserve', row, serial, at: '' })
  const good = [reserve(1, 'a'), JSON.stringify({ op: 'commit', row: 1, serial: 'a', at: '' }), reserve(2, 'b')]
  const damage: { what: string; lines: string[]; line: number; reason: string }[] = [
    {
      what: 'a first line that is not JSON',
      lines: [good[0].replace('"row":1', '"row":1x'), ...good.slice(1)],
      line: 1,
      reason: 'it is not JSON',
    },
    {
      what: 'a middle line that is not JSON',
      lines: [good[0], '{"op":"commit",', good[2]],
      line: 2,
      reason: 'it is not JSON',
    },
    {
      what: 'a damaged last line that was written whole',
      lines: [...good, 'garbage'],
      line: 4,
      reason: 'it is not JSON',
    },
    { what: 'a JSON array', lines: [good[0], '[1,2]', good[2]], line: 2, reason: 'it is not a JSON object' },
    {
      what: 'an unknown op',
      lines: [good[0], JSON.stringify({ op: 'take', row: 2, serial: 'b', at: '' })],
      line: 2,
      reason: '"op" is "take"',
    },
    {
      what: 'no serial',
      lines: [good[0], JSON.stringify({ op: 'reserve', row: 2, at: '' })],
      line: 2,
      reason: '"serial" undefined is not a serial',
    },
    {
      what: 'a row that is not a whole number',
      lines: [good[0], reserve(1.5, 'b')],
      line: 2,
      reason: '"row" 1.5 is not a whole number',
    },
    { what: 'a row given as text', lines: [reserve('1', 'a')], line: 1, reason: '"row" "1" is not a whole number' },
    { what: 'row 0', lines: [good[0], reserve(0, 'b')], line: 2, reason: 'row 0 is not in the pool (rows 1 to 3)' },
    {
      what: 'a row past the pool',
      lines: [good[0], reserve(9, 'b')],
      line: 2,
      reason: 'row 9 is not in the pool (rows 1 to 3)',
    },
    {
      what: 'one row reserved by two serials',
      lines: [good[0], reserve(1, 'b'), good[2]],
      line: 2,
      reason: 'it reserves row 1 for b, but line 1 gave that row to a',
    },
    {
      what: 'one serial reserving two rows',
      lines: [good[0], reserve(2, 'a')],
      line: 2,
      reason: 'it reserves row 2 for a, which line 1 gave row 1',
    },
    {
      what: 'a commit by another board',
      lines: [good[0], JSON.stringify({ op: 'commit', row: 1, serial: 'b', at: '' })],
      line: 2,
      reason: 'commits row 1 for b, but line 1 gave that row to a',
    },
    {
      what: 'a commit with no reservation',
      lines: [JSON.stringify({ op: 'commit', row: 3, serial: 'c', at: '' })],
      line: 1,
      reason: 'which no line before it reserves',
    },
  ]

  it.each(damage)('refuses $what, naming the file and line, and writes nothing', async ({ lines, line, reason }) => {
    const { ledger, path } = await setup(3)
    writeFileSync(path, `${lines.join('\n')}\n`)
    const refused = {
      code: 'LEDGER_CORRUPT',
      message: expect.stringContaining(`The ledger "${path}" is damaged at line ${line}: `),
      details: { path, line, reason: expect.stringContaining(reason) },
    }
    await expect(ledger.check()).rejects.toMatchObject(refused)
    await expect(row(ledger, 'c')).rejects.toMatchObject(refused)
    await expect(ledger.entries()).rejects.toMatchObject(refused)
    expect(readFileSync(path, 'utf8')).toBe(`${lines.join('\n')}\n`)
  })

  it('repairs on request: removes the damaged lines, keeps a copy, retires the row a removed line names, and says so', async () => {
    const { ledger, path, dir } = await setup(3)
    const damaged = `${good[0].replace('"row":1', '"row":1x')}\n${good[2]}\n${reserve(2, 'c')}\n`
    writeFileSync(path, damaged)
    const said = await repairLedgerFile(path, await loadPool(join(dir, 'pool.csv')))
    const copy = readdirSync(dir).find((f) => f.startsWith('ledger.ndjson.damaged-'))!
    expect(readFileSync(join(dir, copy), 'utf8')).toBe(damaged)
    expect(said).toContain(`Repaired the ledger "${path}": removed 2 lines and kept 1.`)
    expect(said).toContain('Removed line 1 (it is not JSON): {"op":"reserve","row":1x')
    expect(said).toContain('line 3 (it reserves row 2 for c, but line 2 gave that row to b)')
    expect(said).toContain('Retired row 1, named by a removed line and held by no other: never given again.')
    expect(said).toContain(`kept in "${join(dir, copy)}"`)
    await ledger.check()
    // Row 1 may be on the board whose line was damaged: the next board gets row 3, not row 1.
    expect(await row(ledger, 'd')).toBe(3)
    expect(await ledger.entries()).toEqual([
      { row: 1, serial: 'retired-line-1', state: 'reserved' },
      { row: 2, serial: 'b', state: 'reserved' },
      { row: 3, serial: 'd', state: 'reserved' },
    ])
    expect(await repairLedgerFile(path, await loadPool(join(dir, 'pool.csv')))).toBe(
      `The ledger "${path}" has no damaged line: nothing was changed.`,
    )
  })
})
