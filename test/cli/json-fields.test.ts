/**
 * src/jobs/events.schema.json and what the CLI prints cannot drift apart,
 * field by field. runCli checks every JSON line against the schema, whose
 * objects refuse a property they do not list (a field the code adds and the
 * schema lacks fails there); this file runs a fixed set of real commands on
 * emulated boards that between them print every line type, and checks that
 * every property, enum value and branch the schema names was printed (one
 * the code no longer prints fails here). A new field needs a command here
 * that prints it.
 */
import { chmod, chown, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { type CliResult, runCli, startUntil } from '../helpers/cli.js'
import { fakeCommands } from '../helpers/fake-commands.js'
import { pseudoRandomBytes, writeTree } from '../helpers/files.js'
import { sysfsDevice } from '../helpers/host.js'
import { factoryModule, writeFlashFileAt } from '../helpers/particle-module.js'
import { facetsOf } from '../helpers/schema-facets.js'
import { schema, shownFacets } from '../helpers/schema.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const SECTOR_9 = 0x080a0000
const SERIALS = ['dddddddddddddddddddddd01', 'dddddddddddddddddddddd02', 'dddddddddddddddddddddd03']

/**
 * Facets whose every value no command prints on an emulated board, each
 * checked against its source in the code instead (test/cli/words.test.ts,
 * test/jobs/events-schema.test.ts).
 */
const CHECKED_ELSEWHERE = [
  /^errorCode = /, // ERROR_CODES (words.test.ts)
  /^error\.exitCode = /, // the exit codes of ERROR_CODES (events-schema.test.ts)
  /^result:devices\.boards\[\]\.deviceOsMode = /, // DEVICE_MODES (events-schema.test.ts): no command starts listening mode
]

/** Runs a command and checks its exit code, so a scenario that stops working is named. */
async function run(args: string[], code: number, env: NodeJS.ProcessEnv = instant): Promise<CliResult> {
  const result = await runCli(args, { env })
  expect(result.code, `flashdata ${args.join(' ')}\n${result.text}${result.stderr}`).toBe(code)
  return result
}

const fresh = async (file: string) => writeFile(file, '') // an empty flash file: a factory-fresh board running firmware

/**
 * A folder to pack: 30,000 bytes of data (many block writes), a file left
 * out with a notice (.DS_Store), and --exclude '*.nomatch' (a warning: it matched nothing).
 */
async function packing(dir: string): Promise<{ data: string; exclude: string[] }> {
  const data = join(dir, 'data')
  const files = { 'a.txt': 'alpha', 'b.txt': 'beta', 'd.bin': pseudoRandomBytes(30_000, 4), '.DS_Store': 'junk' }
  await writeTree(data, files)
  return { data, exclude: ['--exclude', '*.nomatch'] }
}

/** build, inspect, extract: every format, a folder's notes, and an image with an error and a warning. */
async function imageCommands(dir: string): Promise<void> {
  const { data, exclude } = await packing(dir)
  const image = join(dir, 'img.bin')
  await run(['build', data, '-o', image, ...exclude, '--json'], 0)
  await run(['build', data, '-o', join(dir, 'img.dfu'), '--json'], 0)
  await run(['build', data, '-o', join(dir, 'data.h'), '--format', 'c', '--json'], 0)
  await run(['inspect', image, '--json'], 0)
  await run(['inspect', data, ...exclude, '--json'], 0)
  const bad = Buffer.concat([await readFile(image), Buffer.alloc(16, 0xff)]) // padding: a warning
  bad[48] = 0 // the first entry's name empty: an error of that entry
  await writeFile(join(dir, 'bad.bin'), bad)
  await run(['inspect', join(dir, 'bad.bin'), '--json'], ExitCode.IMAGE_INVALID)
  await run(['extract', image, '-o', join(dir, 'out'), '--json'], 0)
}

/** push, verify, pull, dfu, reset on one board; a foreign sector; a blank one. */
async function boardCommands(dir: string): Promise<void> {
  const { data, exclude } = await packing(dir)
  const board = join(dir, 'board.bin')
  await fresh(board)
  const on = ['--emulator', board, '--json']
  const failing = { ...instant, FLASHDATA_EMULATOR_FAIL_WRITE: '3' } // a write fails mid-sector, then is retried
  await run(['push', data, ...exclude, '--wait-app', '5', ...on], 0, failing)
  await run(['push', data, ...on], 0)
  await run(['verify', data, ...exclude, ...on], 0)
  await run(['verify', ...on], 0)
  // a.txt's time stamp, b.txt's bytes, c.txt new, d.bin gone: every kind of difference.
  const other = join(dir, 'other')
  await writeTree(other, { 'a.txt': 'alpha', 'b.txt': 'BETA', 'c.txt': 'gamma' }, 1_700_000_000)
  await run(['verify', other, ...on], ExitCode.VERIFY_MISMATCH)
  await run(['pull', '-o', join(dir, 'pulled.bin'), ...on], 0)
  await run(['pull', '-o', join(dir, 'pulled'), '--extract', ...on], 0)
  await run(['dfu', ...on], 0)
  await run(['dfu', ...on], 0) // already in DFU mode
  await run(['reset', ...on], 0) // leaves DFU mode
  await run(['reset', ...on], 0) // Device OS's reset request
  const foreign = join(dir, 'foreign.bin')
  await writeFlashFileAt(foreign, SECTOR_9, pseudoRandomBytes(4096, 9))
  await run(['push', data, '--force', '--backup-dir', dir, '--emulator', foreign, '--json'], 0)
  const blank = join(dir, 'blank.bin')
  await fresh(blank)
  await run(['verify', '--emulator', blank, '--json'], ExitCode.NO_IMAGE_ON_DEVICE, {
    ...instant,
    FLASHDATA_EMULATOR_MODE: 'dfu',
  })
}

/** devices: a board running firmware, one in DFU mode, one whose flash file is broken, one read-only (not asked). */
async function devices(dir: string): Promise<void> {
  const bench = join(dir, 'bench')
  await mkdir(bench)
  await fresh(join(bench, `${SERIALS[0]}.bin`))
  await fresh(join(bench, `${SERIALS[1]}.bin`))
  await writeFile(join(bench, `${SERIALS[1]}.bin.mode`), 'dfu')
  await writeFile(join(bench, 'broken.bin'), 'not a flash file')
  await run(['devices', '--emulator', bench, '--json'], 0)
  const readOnly = join(dir, 'read-only')
  await mkdir(readOnly)
  const flash = join(readOnly, 'e.bin')
  await fresh(flash)
  await run(['devices', '--emulator', flash], 0) // makes it a whole flash file
  await chmod(flash, 0o444)
  // Root ignores file modes: run the CLI as nobody then.
  const asRoot = process.getuid?.() === 0
  if (asRoot) for (const folder of [dir, readOnly]) await chown(folder, 65534, 65534)
  const prefix = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
  const listed = await runCli(['devices', '--emulator', flash, '--json'], { env: instant, prefix })
  expect(listed.code, listed.stderr).toBe(0)
}

/** doctor on a fake host with a board (details) and no udev rule (a warning with its fix); udev --install; --version. */
async function hostCommands(dir: string): Promise<void> {
  await sysfsDevice(
    dir,
    '1-1.2',
    { idVendor: '2b04', idProduct: 'd00a', serial: SERIALS[0], busnum: '1', devnum: '5' },
    [undefined],
  )
  await mkdir(join(dir, 'dev/bus/usb/001'), { recursive: true })
  await writeFile(join(dir, 'dev/bus/usb/001/005'), '')
  await run(['doctor', '--json'], 0, { FLASHDATA_HOST_ROOT: dir })
  await mkdir(join(dir, 'etc/udev/rules.d'), { recursive: true })
  const failingUdevadm = await fakeCommands({ udevadm: 1 })
  await run(['udev', '--install', '--json'], 0, { FLASHDATA_HOST_ROOT: dir, PATH: failingUdevadm.PATH })
  await run(['--version', '--json'], 0)
}

/** web on every interface: both addresses. */
async function web(): Promise<void> {
  const served = startUntil(['web', '--host', '0.0.0.0', '--port', '0', '--json'], {}, (line) => line.includes('"url"'))
  await served.reached
  served.child.kill('SIGTERM')
  expect(await served.exited).toBe(0)
}

/**
 * A station from a job file: per-board folders (with a skipped file and an
 * unmatched --exclude), a pool, a generator whose output is kept, slots, and
 * a foreign sector saved and overwritten; a fresh board, a factory module and
 * a Photon (refused).
 */
async function jigProvisioning(dir: string): Promise<void> {
  const bench = join(dir, 'bench')
  await mkdir(bench)
  await writeTree(join(dir, 'common'), { 'ca.pem': 'CA' })
  for (const serial of SERIALS.slice(0, 2))
    await writeTree(join(dir, 'boards', serial), { 'own.txt': serial, '.DS_Store': 'junk' })
  await writeTree(dir, { 'pool/1.crt': 'one', 'pool/2.crt': 'two', 'pool.csv': 'device.crt\npool/1.crt\npool/2.crt\n' })
  await writeFile(join(dir, 'gen.sh'), 'printf "id=%s" "$FLASHDATA_SERIAL" > "$FLASHDATA_OUT/id.txt"; echo made\n')
  await fresh(join(bench, `${SERIALS[0]}.bin`))
  await writeFlashFileAt(join(bench, `${SERIALS[1]}.bin`), SECTOR_9, factoryModule())
  await fresh(join(bench, `photon-${SERIALS[2]}.bin`))
  const job = {
    station: 'line 1',
    folder: 'common',
    perBoard: 'boards',
    pool: 'pool.csv',
    generate: 'sh gen.sh',
    slots: { [join(bench, `${SERIALS[0]}.bin`)]: 'A' },
    foreign: 'backup-and-overwrite',
    backupDir: '.',
    count: 3,
  }
  await writeFile(join(dir, 'station.json'), JSON.stringify(job))
  const perBoard = ['--per-board', join(dir, 'boards'), '--exclude', '*.nomatch', '--json']
  await run(['push', join(dir, 'common'), ...perBoard, '--emulator', join(bench, `${SERIALS[0]}.bin`)], 0)
  await run(
    ['jig', '--job', join(dir, 'station.json'), '--generate-keep-output', '--exclude', '*.nomatch'].concat([
      '--emulator',
      bench,
      '--json',
    ]),
    ExitCode.JIG_FAILURES,
  )
}

/** A station of one folder: a board that already holds the image (unchanged); stopped by --timeout. */
async function jigUnchanged(dir: string): Promise<void> {
  const { data, exclude } = await packing(dir)
  const bench = join(dir, 'bench')
  await mkdir(bench)
  const board = join(bench, `${SERIALS[0]}.bin`)
  await fresh(board)
  await run(['push', data, '--emulator', board], 0)
  await run(['jig', data, ...exclude, '--timeout', '1', '--emulator', bench, '--json'], 0)
}

/** A pool of one row for two boards: stopped by the pool running out. */
async function jigPoolExhausted(dir: string): Promise<void> {
  const bench = join(dir, 'bench')
  await mkdir(bench)
  await writeTree(dir, { 'common/ca.pem': 'CA', 'pool/1.crt': 'one', 'pool.csv': 'device.crt\npool/1.crt\n' })
  for (const serial of SERIALS.slice(0, 2)) await fresh(join(bench, `${serial}.bin`))
  const args = ['jig', join(dir, 'common'), '--pool', join(dir, 'pool.csv'), '--count', '2', '--emulator', bench]
  await run([...args, '--json'], ExitCode.POOL_EXHAUSTED)
}

/** SIGTERM while a board is erasing (datasheet timing: a 1 s erase): its record says aborted. */
async function jigAborted(dir: string): Promise<void> {
  const bench = join(dir, 'bench')
  await mkdir(bench)
  await fresh(join(bench, `${SERIALS[0]}.bin`))
  const station = startUntil(
    ['jig', 'examples/data', '--emulator', bench, '--json'],
    { FLASHDATA_EMULATOR_TIMING: 'datasheet' },
    (line) => line.includes('"phase-start"') && line.includes('"phase":"erase"'),
  )
  await station.reached
  station.child.kill('SIGTERM')
  expect(await station.exited).toBe(ExitCode.INTERRUPTED)
}

/** Paused from the station page, a board that arrives waits; Ctrl-C stops the station (stoppedBy signal). */
async function jigPaused(dir: string): Promise<void> {
  const bench = join(dir, 'bench')
  await mkdir(bench)
  const station = startUntil(['jig', 'examples/data', '--ui', '0', '--emulator', bench, '--json'], instant)
  while (!station.errors().includes('Station page: ')) await sleep(20)
  const url = /Station page: (\S+)/.exec(station.errors())![1]
  const own = { origin: new URL(url).origin, 'sec-fetch-site': 'same-origin' }
  expect((await fetch(new URL('/pause', url), { method: 'POST', headers: own })).status).toBe(200)
  const board = join(dir, `${SERIALS[0]}.bin`)
  await fresh(board)
  await rename(board, join(bench, `${SERIALS[0]}.bin`))
  await station.until((lines) => lines.some((line) => line.includes('"type":"board-waiting"')))
  station.child.kill('SIGINT')
  expect(await station.exited).toBe(0)
}

const SCENARIOS = [
  imageCommands,
  boardCommands,
  devices,
  hostCommands,
  web,
  jigProvisioning,
  jigUnchanged,
  jigPoolExhausted,
  jigAborted,
  jigPaused,
]

describe('events.schema.json, field by field, against what the CLI prints', () => {
  // Every scenario runs before the checks, whatever tests are picked.
  beforeAll(async () => {
    for (const scenario of SCENARIOS) await scenario(await tempDir())
  }, 180_000)

  it('every property, enum value and branch the schema names is printed by some command', () => {
    const unseen = facetsOf(schema).filter(
      (facet) => !shownFacets.has(facet) && !CHECKED_ELSEWHERE.some((pattern) => pattern.test(facet)),
    )
    expect(unseen, 'named by src/jobs/events.schema.json but printed by no command here').toEqual([])
  })

  it('names every facet a line showed (the facet list and the lines agree)', () => {
    const named = new Set(facetsOf(schema))
    expect([...shownFacets].filter((facet) => !named.has(facet))).toEqual([])
  })
})
