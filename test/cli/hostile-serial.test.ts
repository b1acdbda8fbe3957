import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { ExitCode, parseImage, shownSerial } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { HOSTILE_SERIALS, SMUGGLED } from '../helpers/hostile-serials.js'
import { factoryModule, writeFlashFileAt } from '../helpers/particle-module.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const GOOD = 'e00fce68a1b2c3d4e5f60718'
const SECTOR = 0xa0000
const hostile = Object.values(HOSTILE_SERIALS)

/**
 * A station: common files, the good board's per-board folder, a key beside
 * the per-board folders, and a bench of emulated boards holding a factory
 * module (foreign data, so each would be backed up): one per hostile serial,
 * which its "<file>.serial" makes it report, and one good board.
 */
async function station(): Promise<{ dir: string; bench: string; files: string[]; good: string }> {
  const dir = await tempDir()
  await writeTree(join(dir, 'common'), { 'ca.pem': 'CA' })
  await writeTree(join(dir, 'boards', GOOD), { 'own.txt': 'good' })
  await writeTree(join(dir, 'loot'), { id_rsa: 'PRIVATE KEY' })
  await mkdir(join(dir, 'backups'))
  const bench = join(dir, 'bench')
  await mkdir(bench)
  const files = []
  for (const [i, serial] of hostile.entries()) {
    const file = join(bench, `h${i.toString().padStart(2, '0')}.bin`)
    await writeFlashFileAt(file, 0x080a0000, factoryModule())
    await writeFile(`${file}.serial`, serial)
    files.push(file)
  }
  const good = join(bench, `${GOOD}.bin`)
  await writeFlashFileAt(good, 0x080a0000, factoryModule())
  return { dir, bench, files, good }
}

describe('a board whose USB serial is not letters and digits (CLI)', () => {
  it('jig fails each such board alone (exit 14), reading none of its files, running no generator, writing no backup, and flashes the good one', async () => {
    const { dir, bench, files, good } = await station()
    const before = await Promise.all(files.map((f) => readFile(f)))
    const top = await readdir(dir)
    const run = await runCli(
      [
        'jig',
        join(dir, 'common'),
        '--per-board',
        join(dir, 'boards'),
        '--per-board-optional',
        '--generate',
        `printf "%s\\n" "$FLASHDATA_SERIAL" >> "${join(dir, 'ran.log')}"; printf x > "$FLASHDATA_OUT/gen.txt"`,
        '--foreign',
        'backup-and-overwrite',
        '--backup-dir',
        join(dir, 'backups'),
        '--count',
        String(files.length + 1),
        '--log',
        join(dir, 'log.ndjson'),
        '--junit',
        join(dir, 'results.xml'),
        '--csv',
        join(dir, 'results.csv'),
        '--json',
        '--emulator',
        bench,
      ],
      { env: instant, cwd: dir },
    )
    expect(run.code, run.stderr).toBe(ExitCode.JIG_FAILURES)
    const records = ndjson(await readFile(join(dir, 'log.ndjson'), 'utf8'))
    expect(records).toHaveLength(files.length + 1)
    for (const [i, serial] of hostile.entries()) {
      expect(
        records.find((r) => r.serial === shownSerial(serial)),
        serial,
      ).toMatchObject({
        outcome: 'failed',
        error: { code: 'DEVICE_SERIAL_INVALID' },
        port: files[i],
      })
      expect((await readFile(files[i])).equals(before[i]), serial).toBe(true) // not a byte written
    }
    expect(records.find((r) => r.serial === GOOD)).toMatchObject({ outcome: 'flashed' })
    const sector = (await readFile(good)).subarray(SECTOR, SECTOR + 131072)
    expect(
      parseImage(sector)
        .files.map((f) => f.name)
        .sort(),
    ).toEqual(['ca.pem', 'gen.txt', 'own.txt'])
    expect(await readFile(join(dir, 'ran.log'), 'utf8')).toBe(`${GOOD}\n`)
    expect(await readdir(join(dir, 'backups'))).toEqual([
      expect.stringMatching(new RegExp(`^flashdata-backup-${GOOD}-`)),
    ])
    expect((await readdir(dir)).sort()).toEqual([...top, 'ran.log', 'log.ndjson', 'results.xml', 'results.csv'].sort())
    expect(existsSync(join(dir, 'pwned'))).toBe(false)
    const xml = await readFile(join(dir, 'results.xml'), 'utf8')
    expect(XMLValidator.validate(xml)).toBe(true)
    const csv = await readFile(join(dir, 'results.csv'), 'utf8')
    expect(csv.trim().split('\n')).toHaveLength(files.length + 2)
    for (const output of [xml, csv, run.text, run.stderr]) expect(output.match(SMUGGLED)?.[0]).toBeUndefined()
  })

  it('devices lists each such board escaped and refused, asking it nothing; push refuses it (exit 7) untouched, with no backup', async () => {
    const { dir, bench, files } = await station()
    const listed = await runCli(['devices', '--json', '--emulator', bench], { env: instant })
    expect(listed.code).toBe(0)
    const boards = ndjson(listed.text).at(-1)!.boards as Record<string, unknown>[]
    expect(boards).toHaveLength(files.length + 1)
    for (const serial of hostile) {
      const board = boards.find((b) => b.serial === shownSerial(serial))
      expect(board, serial).toMatchObject({ unusable: { code: 'DEVICE_SERIAL_INVALID' }, platform: 'electron' })
      expect(board!.deviceOs).toBeUndefined() // not asked
    }
    const table = await runCli(['devices', '--emulator', bench], { env: instant })
    expect(table.text).toContain(`${shownSerial(HOSTILE_SERIALS['a parent folder'])}  `)
    expect(table.text).toContain(
      `${shownSerial(HOSTILE_SERIALS['a parent folder'])} cannot be used: The board with USB serial ${shownSerial(HOSTILE_SERIALS['a parent folder'])} is refused: a serial must be 1 to 64 ASCII letters and digits`,
    )

    // One process per board: the library test pushes every variant, this one a few through the CLI.
    const tried = ['a path out of its folder', 'a NUL', 'a bidi override', 'empty', 'a shell substitution']
    for (const [i, serial] of hostile.entries()) {
      if (!tried.some((what) => HOSTILE_SERIALS[what] === serial)) continue
      const before = await readFile(files[i])
      const pushed = await runCli(
        ['push', join(dir, 'common'), '--force', '--backup-dir', join(dir, 'backups'), '--json'],
        { env: { ...instant, FLASHDATA_EMULATOR: files[i] } },
      )
      expect(pushed.code, serial).toBe(ExitCode.WRONG_DEVICE)
      expect(ndjson(pushed.text).at(-1), serial).toMatchObject({
        type: 'error',
        code: 'DEVICE_SERIAL_INVALID',
        details: { serial: shownSerial(serial) },
      })
      expect((await readFile(files[i])).equals(before), serial).toBe(true)
    }
    expect(await readdir(join(dir, 'backups'))).toEqual([])
    expect(existsSync(join(dir, 'escaped'))).toBe(false)
  })
})
