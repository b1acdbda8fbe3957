import { readFile, readdir, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, EmulatedUsb, openFlashFile, parseImage, runJig, type JigRecord } from 'flashdata'
import { FileLedger } from '../../src/provision/ledger-file.js'
import { loadPool } from '../../src/provision/pool.js'
import { openProvisioner } from '../../src/provision/provisioner.js'
import { junitXml } from '../../src/provision/reports.js'
import { sectorBackup } from '../../src/provision/backup.js'
import { bench, DATA_SECTOR_ADDRESS, flashOps, sectorBytes } from '../helpers/emulator.js'
import { sameBytes, writeTree } from '../helpers/files.js'
import { factoryModule, writeFlashFileAt } from '../helpers/particle-module.js'
import { tempDir } from '../helpers/tmp.js'

const later = (ms: number, fn: () => void) => setTimeout(fn, ms)
const text = new TextDecoder()

/** The files a board holds, by name, as text. */
function boardFiles(board: EmulatedElectron): Record<string, string> {
  const sector = board.readFlash(DATA_SECTOR_ADDRESS, 131072)
  const parsed = parseImage(sector)
  expect(parsed.valid, board.serialNumber).toBe(true)
  return Object.fromEntries(parsed.files.map((f) => [f.name, text.decode(sector.subarray(f.addr, f.addr + f.length))]))
}

/** A common folder, per-board folders and a pool of `rows` certificates. */
async function station(
  rows: number,
  perBoard: string[] = [],
): Promise<{ dir: string; folder: string; perBoardDir: string; poolPath: string }> {
  const dir = await tempDir()
  await writeTree(join(dir, 'common'), { 'certs/ca.pem': 'CA', 'config.txt': 'common config' })
  for (const serial of perBoard)
    await writeTree(join(dir, 'boards', serial), { 'config.txt': `config of ${serial}`, 'id.txt': serial })
  const lines = ['certs/device.crt,certs/device.key']
  for (let i = 1; i <= rows; i++) {
    await writeTree(join(dir, 'pool'), { [`crt${i}.pem`]: `certificate ${i}`, [`key${i}.pem`]: `key ${i}` })
    lines.push(`pool/crt${i}.pem,pool/key${i}.pem`)
  }
  await writeTree(dir, { 'pool.csv': `${lines.join('\n')}\n` })
  return { dir, folder: join(dir, 'common'), perBoardDir: join(dir, 'boards'), poolPath: join(dir, 'pool.csv') }
}

describe('provisioning station (library)', () => {
  it('gives every board common + its own files and one pool row, through an unplug, and stops cleanly when the pool runs out', async () => {
    const boards = Array.from({ length: 5 }, () => new EmulatedElectron({ timing: 'instant', mode: 'dfu' }))
    const serials = boards.map((b) => b.serialNumber)
    const s = await station(4, serials)
    const pool = await loadPool(s.poolPath)
    const ledger = new FileLedger(join(s.dir, 'ledger.ndjson'), pool, 'A')
    const provisioner = await openProvisioner({ folder: s.folder, perBoard: s.perBoardDir, ledger })
    const bus = new EmulatedUsb()
    boards[1].faults.disconnectDuring('write')
    later(0, () => bus.attach(boards[0]))
    later(150, () => bus.attach(boards[1]))
    later(900, () => bus.attach(boards[2]))
    later(1100, () => bus.attach(boards[3]))
    later(1800, () => bus.attach(boards[4]))
    const records: JigRecord[] = []
    const summary = await runJig({
      bus,
      prepare: provisioner.prepare,
      idleTimeoutMs: 2500,
      reappearTimeoutMs: 1000,
      onRecord: (r) => {
        records.push(r)
        // The operator plugs it back in once the station has reported it (a fixed delay raced a loaded machine).
        if (r.serial === serials[1] && r.outcome === 'failed') boards[1].plugIn()
      },
    })

    expect(summary.stoppedBy).toBe('pool-exhausted')
    const rows = new Map<string, number>()
    for (const [i, board] of boards.slice(0, 4).entries()) {
      const files = boardFiles(board)
      const row = records.find((r) => r.serial === board.serialNumber && r.outcome === 'flashed')!.provision!.pool!.row
      rows.set(board.serialNumber, row)
      expect(files).toEqual({
        'certs/ca.pem': 'CA',
        'config.txt': `config of ${serials[i]}`,
        'id.txt': serials[i],
        'certs/device.crt': `certificate ${row}`,
        'certs/device.key': `key ${row}`,
      })
    }
    expect([...rows.values()].sort()).toEqual([1, 2, 3, 4]) // each row once
    // The unplugged board failed, then got the same row when it came back.
    const second = records.filter((r) => r.serial === serials[1])
    expect(second.map((r) => (r.outcome === 'failed' ? r.error!.code : r.outcome))).toEqual(['DISCONNECTED', 'flashed'])
    expect(second.map((r) => r.provision?.pool?.row)).toEqual([rows.get(serials[1]), rows.get(serials[1])])
    // The fifth board found no row: never touched, not a failed board.
    expect(flashOps(boards[4])).toEqual([])
    expect(records.some((r) => r.serial === serials[4])).toBe(false)
    expect(await ledger.entries()).toEqual(
      serials
        .slice(0, 4)
        .map((serial) => ({ row: rows.get(serial), serial, state: 'committed' }))
        .sort((a, b) => a.row! - b.row!),
    )
    for (const r of records.filter((r) => r.outcome === 'flashed')) {
      expect(r).toMatchObject({
        port: expect.stringMatching(/^emulated-\d+$/),
        imageSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        provision: { overlay: { files: ['config.txt', 'id.txt'] } },
      })
    }

    // A rerun finds every board unchanged, with the same rows.
    bus.detach(boards[4])
    for (const board of boards.slice(0, 4)) {
      bus.detach(board)
      bus.attach(board)
    }
    const rerun = await runJig({ bus, prepare: provisioner.prepare, count: 4, reappearTimeoutMs: 1000 })
    expect(rerun.records.map((r) => [r.serial, r.outcome, r.provision?.pool]).sort()).toEqual(
      serials
        .slice(0, 4)
        .map((serial) => [
          serial,
          'unchanged',
          { row: rows.get(serial), files: ['certs/device.crt', 'certs/device.key'], reused: true },
        ])
        .sort(),
    )
  })

  it('ends with pool-exhausted, not count, when the board that finds no row is among the --count boards', async () => {
    // Instant timing, no generator. The order is fixed, not left to timing: the
    // station's ledger lock is held here until the first board is done, so the
    // other one looks for a row only after the station has checked --count again.
    const {
      bus,
      boards: [noFolder, late],
    } = bench({ mode: 'dfu' }, { mode: 'dfu' })
    const s = await station(1, [late.serialNumber])
    const ledgerPath = join(s.dir, 'ledger.ndjson')
    await writeFile(
      ledgerPath,
      `${JSON.stringify({ op: 'reserve', row: 1, serial: 'e00fce68aaaaaaaaaaaaaaaa', at: '' })}\n`,
    )
    await writeFile(`${ledgerPath}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), at: '' }))
    const ledger = new FileLedger(ledgerPath, await loadPool(s.poolPath))
    const provisioner = await openProvisioner({ folder: s.folder, perBoard: s.perBoardDir, ledger })
    const stop = new AbortController()
    const summary = await runJig({
      bus,
      prepare: provisioner.prepare,
      count: 2,
      pollMs: 600_000, // only a board's end wakes the station
      signal: stop.signal,
      reappearTimeoutMs: 1000,
      onRecord: () => unlink(`${ledgerPath}.lock`),
    }).finally(() => stop.abort())
    expect(summary).toMatchObject({ stoppedBy: 'pool-exhausted', boards: 1, attempts: 1, failed: 1 })
    expect(summary.records.map((r) => [r.serial, r.error?.code])).toEqual([
      [noFolder.serialNumber, 'PER_BOARD_MISSING'],
    ])
    expect(flashOps(late)).toEqual([])
  })

  it('fails a board without a per-board folder, or whose data does not fit, untouched and without using a row', async () => {
    const {
      bus,
      boards: [missing, huge, fine],
    } = bench({ mode: 'dfu' }, { mode: 'dfu' }, { mode: 'dfu' })
    const s = await station(2, [fine.serialNumber])
    await writeTree(join(s.perBoardDir, huge.serialNumber), {
      'big1.bin': new Uint8Array(70_000),
      'big2.bin': new Uint8Array(70_000),
    })
    const ledger = new FileLedger(join(s.dir, 'ledger.ndjson'), await loadPool(s.poolPath))
    const provisioner = await openProvisioner({ folder: s.folder, perBoard: s.perBoardDir, ledger })
    const summary = await runJig({ bus, prepare: provisioner.prepare, count: 3, reappearTimeoutMs: 1000 })
    const code = (board: EmulatedElectron) => summary.records.find((r) => r.serial === board.serialNumber)!
    expect(code(missing).error).toMatchObject({
      code: 'PER_BOARD_MISSING',
      message: expect.stringContaining(missing.serialNumber),
    })
    expect(code(huge).error).toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringMatching(/[\d,]+ bytes over the 131,072-byte sector/),
    })
    expect(code(fine).outcome).toBe('flashed')
    expect(flashOps(missing)).toEqual([])
    expect(flashOps(huge)).toEqual([])
    expect(await ledger.entries()).toEqual([{ row: 1, serial: fine.serialNumber, state: 'committed' }])
  })

  it('gives a board its pinned row, and the other rows in order to the rest', async () => {
    const {
      bus,
      boards: [a, b],
    } = bench({ mode: 'dfu' }, { mode: 'dfu' })
    const s = await station(0)
    await writeTree(s.dir, {
      'p1.txt': 'one',
      'p2.txt': 'two',
      'pool.csv': `serial,secret.txt\n,p1.txt\n${b.serialNumber.toUpperCase()},p2.txt\n`,
    })
    const provisioner = await openProvisioner({
      folder: s.folder,
      ledger: new FileLedger(join(s.dir, 'l.ndjson'), await loadPool(s.poolPath)),
    })
    await runJig({ bus, prepare: provisioner.prepare, count: 2, reappearTimeoutMs: 1000 })
    expect(boardFiles(a)['secret.txt']).toBe('one')
    expect(boardFiles(b)['secret.txt']).toBe('two')
  })

  it('keeps foreign data by default and backs it up before overwriting under the backup policy', async () => {
    const dir = await tempDir()
    const module = factoryModule()
    const files = [join(dir, 'a.bin'), join(dir, 'b.bin')]
    for (const f of files) await writeFlashFileAt(f, DATA_SECTOR_ADDRESS, module)
    await writeTree(join(dir, 'common'), { 'x.txt': 'x' })
    const provisioner = await openProvisioner({ folder: join(dir, 'common') })

    const kept = bench({ mode: 'dfu', flash: openFlashFile(files[0]) })
    const refused = await runJig({ bus: kept.bus, prepare: provisioner.prepare, count: 1 })
    expect(refused.records[0]).toMatchObject({
      outcome: 'failed',
      error: { code: 'FOREIGN_DATA', message: expect.stringContaining('electron user part (module version 6') },
      foreign: {
        contents: {
          kind: 'particle-module',
          module: { platform: 'electron', function: 'user part', version: 6, startAddress: 0x08080000 },
        },
      },
    })
    expect(flashOps(kept.boards[0])).toEqual([])
    expect(sectorBytes(kept.boards[0], module.length)).toEqual(module)
    kept.boards[0].close()

    const backups = join(dir, 'backups')
    const overwritten = bench({ mode: 'dfu', flash: openFlashFile(files[1]) })
    const before = sectorBytes(overwritten.boards[0], 131072)
    const done = await runJig({
      bus: overwritten.bus,
      prepare: provisioner.prepare,
      count: 1,
      reappearTimeoutMs: 1000,
      onForeign: sectorBackup(backups),
    })
    const [name] = await readdir(backups)
    expect(name).toMatch(new RegExp(`^flashdata-backup-${overwritten.boards[0].serialNumber}-.*\\.bin$`))
    expect(done.records[0]).toMatchObject({
      outcome: 'flashed',
      foreign: { backup: join(backups, name), contents: { kind: 'particle-module' } },
    })
    expect(sameBytes(await readFile(join(backups, name)), before)).toBe(true)
    expect(boardFiles(overwritten.boards[0])).toEqual({ 'x.txt': 'x' })
    overwritten.boards[0].close()
  })

  it('writes JUnit XML with one test case per board, failures with code, message and hint', () => {
    const base = {
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:00:02.000Z',
      durationMs: 2000,
      phases: {},
    }
    const records: JigRecord[] = [
      {
        ...base,
        serial: 'a1',
        outcome: 'failed',
        port: '1-1',
        error: { code: 'DISCONNECTED', message: 'The board was <disconnected> & gone', hint: 'Check "the" cable' },
      },
      { ...base, serial: 'a1', outcome: 'flashed', port: '1-1', slot: 'A' },
      { ...base, serial: 'b2', outcome: 'failed', error: { code: 'FOREIGN_DATA', message: 'factory firmware' } },
    ]
    const xml = junitXml(records, 'line 1')
    expect(XMLValidator.validate(xml)).toBe(true)
    const suite = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' }).parse(xml)
      .testsuites.testsuite
    expect(suite['@_tests']).toBe('2')
    expect(suite['@_failures']).toBe('1')
    expect(suite.testcase.map((c: Record<string, unknown>) => c['@_name'])).toEqual(['a1', 'b2'])
    expect(suite.testcase[0].failure).toBeUndefined() // the board's latest attempt passed
    expect(suite.testcase[1].failure).toMatchObject({ '@_type': 'FOREIGN_DATA', '@_message': 'factory firmware' })
  })
})
