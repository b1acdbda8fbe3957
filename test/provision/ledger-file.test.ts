import { spawnSync } from 'node:child_process'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileLedger } from '../../src/provision/ledger-file.js'
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

  it('ignores a line torn by a crash, and the next reservation starts a new line', async () => {
    const { ledger, path } = await setup(3)
    expect(await row(ledger, 'a')).toBe(1)
    appendFileSync(path, '{"op":"reserve","row":2,"ser') // power lost mid-append
    expect(await row(ledger, 'b')).toBe(2)
    expect(await row(ledger, 'a')).toBe(1)
    expect(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{"op"')).length,
    ).toBe(3)
    expect(await ledger.entries()).toEqual([
      { row: 1, serial: 'a', state: 'reserved' },
      { row: 2, serial: 'b', state: 'reserved' },
    ])
  })

  it('counts only the first claim of a row, whatever else was appended', async () => {
    const { ledger, path } = await setup(2)
    appendFileSync(
      path,
      `${JSON.stringify({ op: 'reserve', row: 1, serial: 'x', at: '' })}\n${JSON.stringify({ op: 'reserve', row: 1, serial: 'y', at: '' })}\n`,
    )
    expect(await row(ledger, 'y')).toBe(2)
    expect(await row(ledger, 'x')).toBe(1)
  })
})
