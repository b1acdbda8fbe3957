import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, openFlashFile, ExitCode, parseImage } from 'flashdata'
import { CLI, REPO, ndjson, runCli, startUntil } from '../helpers/cli.js'
import { sameBytes, writeTree } from '../helpers/files.js'
import { factoryModule, writeFlashFileAt } from '../helpers/particle-module.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const SECTOR = 0xa0000
const text = new TextDecoder()
const serial = (n: number) => `cccccccccccccccccccccc${n.toString().padStart(2, '0')}`

/** Factory-fresh emulated boards: one flash file per serial in `folder`. */
function makeBoards(folder: string, serials: string[]): string[] {
  mkdirSync(folder, { recursive: true })
  return serials.map((s) => {
    const file = join(folder, `${s}.bin`)
    new EmulatedElectron({ flash: openFlashFile(file), timing: 'instant' }).close()
    return file
  })
}

/** The files a board's flash file holds in sector 9 (undefined: no valid image). */
async function heldFiles(file: string): Promise<Record<string, string> | undefined> {
  const sector = (await readFile(file)).subarray(SECTOR, SECTOR + 131072)
  const parsed = parseImage(sector)
  if (!parsed.valid) return undefined
  return Object.fromEntries(parsed.files.map((f) => [f.name, text.decode(sector.subarray(f.addr, f.addr + f.length))]))
}

/** A common folder and a pool of `rows` certificates, rows named "certificate N". */
async function stationFiles(dir: string, rows: number): Promise<void> {
  await writeTree(join(dir, 'common'), { 'ca.pem': 'CA' })
  const lines = ['device.crt']
  for (let i = 1; i <= rows; i++) {
    await writeTree(join(dir, 'pool'), { [`${i}.crt`]: `certificate ${i}` })
    lines.push(`pool/${i}.crt`)
  }
  await writeFile(join(dir, 'pool.csv'), `${lines.join('\n')}\n`)
}

/** Ledger lines as { row -> serial } for reservations, and the committed rows. */
async function ledger(path: string): Promise<{ reserved: Map<number, string>; committed: Set<number> }> {
  const reserved = new Map<number, string>()
  const committed = new Set<number>()
  for (const line of ndjson(await readFile(path, 'utf8'))) {
    if (line.op === 'reserve' && !reserved.has(line.row as number))
      reserved.set(line.row as number, line.serial as string)
    if (line.op === 'commit') committed.add(line.row as number)
  }
  return { reserved, committed }
}

describe('push with per-board data and foreign data (CLI)', () => {
  it('refuses a board holding a Particle factory module (exit 15, untouched); --force saves the sector to a backup first', async () => {
    const dir = await tempDir()
    const board = join(dir, 'electron.bin')
    const module = factoryModule()
    await writeFlashFileAt(board, 0x080a0000, module)
    const before = await readFile(board)
    const env = { ...instant, FLASHDATA_EMULATOR: board }
    const refused = await runCli(['push', 'examples/data'], { env })
    expect(refused.code).toBe(ExitCode.FOREIGN_DATA)
    expect(refused.stderr).toContain('a Particle firmware module: electron user part (module version 6')
    expect(refused.stderr).toContain('--force')
    expect(sameBytes(await readFile(board), before)).toBe(true)

    const forced = await runCli(['push', 'examples/data', '--force', '--backup-dir', dir], { env })
    expect(forced.code).toBe(0)
    const [backup] = (await readdir(dir)).filter((f) => f.startsWith('flashdata-backup-'))
    expect(backup).toMatch(/^flashdata-backup-[0-9a-f]{24}-\d{4}-.*\.bin$/)
    expect(forced.text).toContain(`saved to ${join(dir, backup)}`)
    expect(sameBytes(await readFile(join(dir, backup)), before.subarray(SECTOR, SECTOR + 131072))).toBe(true)
    expect((await runCli(['verify', 'examples/data'], { env })).code).toBe(0)
  })

  it("pushes the common folder plus the board's own folder and pool row, and a second push finds it unchanged", async () => {
    const dir = await tempDir()
    await stationFiles(dir, 2)
    const [board] = makeBoards(dir, [serial(1)])
    await writeTree(join(dir, 'boards', serial(1)), { 'id.txt': 'mine' })
    const args = [
      'push',
      join(dir, 'common'),
      '--per-board',
      join(dir, 'boards'),
      '--pool',
      join(dir, 'pool.csv'),
      '--json',
    ]
    const first = await runCli(args, { env: { ...instant, FLASHDATA_EMULATOR: board } })
    expect(first.code).toBe(0)
    expect(ndjson(first.text).at(-1)).toMatchObject({
      type: 'result',
      status: 'flashed',
      provision: { pool: { row: 1, reused: false } },
    })
    expect(await heldFiles(board)).toEqual({ 'ca.pem': 'CA', 'device.crt': 'certificate 1', 'id.txt': 'mine' })
    const again = await runCli(args, { env: { ...instant, FLASHDATA_EMULATOR: board } })
    expect(ndjson(again.text).at(-1)).toMatchObject({
      status: 'unchanged',
      provision: { pool: { row: 1, reused: true } },
    })
    expect(await ledger(join(dir, 'pool.ledger.ndjson'))).toEqual({
      reserved: new Map([[1, serial(1)]]),
      committed: new Set([1]),
    })
  })
})

describe('jig provisioning (CLI)', () => {
  it('runs a job file: generated files, slots, JUnit and CSV reports, job hash in every record; refuses to start if a named file is missing', async () => {
    const dir = await tempDir()
    await stationFiles(dir, 3)
    const files = makeBoards(join(dir, 'bench'), [serial(1), serial(2)])
    await writeFile(
      join(dir, 'gen.sh'),
      'printf "id=%s" "$FLASHDATA_SERIAL" > "$FLASHDATA_OUT/id.txt"; echo generated for $FLASHDATA_SERIAL\n',
    )
    const slots = { [files[0]]: 'A' } // an emulated board's port path is its flash file
    const job = {
      station: 'line 1',
      folder: 'common',
      pool: 'pool.csv',
      generate: 'sh gen.sh',
      log: 'out/log.ndjson',
      junit: 'out/results.xml',
      csv: 'out/results.csv',
      slots,
      timeout: 2,
    }
    mkdirSync(join(dir, 'out'))
    await writeFile(join(dir, 'station.json'), JSON.stringify({ ...job, pool: 'missing.csv' }))
    const refused = await runCli(['jig', '--job', join(dir, 'station.json'), '--emulator', join(dir, 'bench')], {
      env: instant,
    })
    expect(refused.code).toBe(ExitCode.INPUT)
    expect(refused.stderr).toContain('missing.csv')
    expect(await heldFiles(files[0])).toBeUndefined()

    await writeFile(join(dir, 'station.json'), JSON.stringify(job))
    const run = await runCli(['jig', '--job', join(dir, 'station.json'), '--emulator', join(dir, 'bench'), '--json'], {
      env: instant,
    })
    expect(run.code, run.text + run.stderr).toBe(0)
    const records = ndjson(await readFile(join(dir, 'out/log.ndjson'), 'utf8'))
    expect(records).toHaveLength(2)
    const jobSha256 = (await import('node:crypto'))
      .createHash('sha256')
      .update(await readFile(join(dir, 'station.json')))
      .digest('hex')
    for (const r of records) {
      expect(r).toMatchObject({
        outcome: 'flashed',
        station: 'line 1',
        jobSha256,
        version: expect.any(String),
        host: expect.any(String),
        port: expect.stringMatching(/\.bin$/),
      })
      expect((r.provision as { generated: object }).generated).toEqual({
        files: ['id.txt'],
        exitCode: 0,
        durationMs: expect.any(Number),
      }) // its output is not kept (it may hold keys): see generate-output.test.ts
      expect(JSON.stringify(r)).not.toContain('certificate ') // names and rows, never contents
    }
    expect(records.find((r) => r.serial === serial(1))!.slot).toBe('A')
    for (const [i, file] of files.entries())
      expect(await heldFiles(file)).toMatchObject({
        'ca.pem': 'CA',
        'id.txt': `id=${serial(i + 1)}`,
        'device.crt': expect.stringMatching(/^certificate [12]$/),
      })
    const xml = await readFile(join(dir, 'out/results.xml'), 'utf8')
    expect(XMLValidator.validate(xml)).toBe(true)
    const cases = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' }).parse(xml).testsuites
      .testsuite.testcase
    expect(cases.map((c: Record<string, string>) => c['@_name']).sort()).toEqual([serial(1), serial(2)])
    const csv = (await readFile(join(dir, 'out/results.csv'), 'utf8')).trim().split('\n')
    expect(csv[0]).toMatch(/^serial,outcome,slot,port,poolRow,/)
    expect(csv).toHaveLength(3)
  })

  it('a pool of N rows provisions exactly N boards, each row once, through a SIGKILL of the station mid-write and a restart', async () => {
    const dir = await tempDir()
    await stationFiles(dir, 4)
    const files = makeBoards(join(dir, 'bench'), [1, 2, 3, 4, 5, 6].map(serial))
    const args = [
      'jig',
      join(dir, 'common'),
      '--pool',
      join(dir, 'pool.csv'),
      '--emulator',
      join(dir, 'bench'),
      '--json',
      '--timeout',
      '2',
    ]
    const killed = startUntil(
      args,
      { FLASHDATA_EMULATOR_TIMING: 'datasheet' },
      (line) => line.includes('"phase":"write"') && line.includes('"type":"progress"'),
    )
    await killed.reached
    killed.child.kill('SIGKILL')
    await killed.exited
    const mid = await ledger(join(dir, 'pool.ledger.ndjson'))
    expect(mid.reserved.size).toBe(4) // rows were reserved before any erase
    expect(mid.committed.size).toBe(0)

    const restart = await runCli(args, { env: instant })
    expect(restart.code).toBe(ExitCode.POOL_EXHAUSTED)
    expect(restart.text).toContain('"stoppedBy":"pool-exhausted"')
    const end = await ledger(join(dir, 'pool.ledger.ndjson'))
    expect(end.reserved).toEqual(mid.reserved) // the same rows for the same boards
    expect(end.committed).toEqual(new Set([1, 2, 3, 4]))
    const held = await Promise.all(files.map(heldFiles))
    expect(held.filter(Boolean)).toHaveLength(4)
    for (const [row, s] of end.reserved)
      expect(held[files.findIndex((f) => f.includes(s))]).toMatchObject({ 'device.crt': `certificate ${row}` })
  })

  it('two stations on one ledger file never hand out one row twice', async () => {
    const dir = await tempDir()
    await stationFiles(dir, 5)
    const benches = [join(dir, 'bench-a'), join(dir, 'bench-b')]
    const files = [
      ...makeBoards(benches[0], [1, 2, 3, 4].map(serial)),
      ...makeBoards(benches[1], [5, 6, 7, 8].map(serial)),
    ]
    const station = (bench: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            CLI,
            'jig',
            join(dir, 'common'),
            '--pool',
            join(dir, 'pool.csv'),
            '--ledger',
            join(dir, 'shared.ndjson'),
            '--emulator',
            bench,
            '--timeout',
            '2',
            '-q',
          ],
          { cwd: REPO, env: { ...process.env, ...instant }, stdio: 'ignore' },
        )
        child.on('close', resolve)
      })
    const codes = await Promise.all(benches.map(station))
    expect(codes).toContain(ExitCode.POOL_EXHAUSTED)
    const { reserved, committed } = await ledger(join(dir, 'shared.ndjson'))
    expect([...reserved.keys()].sort()).toEqual([1, 2, 3, 4, 5])
    expect(new Set(reserved.values()).size).toBe(5)
    expect(committed).toEqual(new Set([1, 2, 3, 4, 5]))
    const held = await Promise.all(files.map(heldFiles))
    const rows = held.filter(Boolean).map((h) => h!['device.crt'])
    expect(rows.sort()).toEqual([1, 2, 3, 4, 5].map((i) => `certificate ${i}`))
  })
})

describe('jig: the pool running out (CLI)', () => {
  /** A generator that holds a board until the file `go-<serial>` exists in `dir`, then writes one file. */
  async function gatedGenerator(dir: string): Promise<string> {
    await writeFile(
      join(dir, 'gen.sh'),
      `while [ ! -e "${dir}/go-$FLASHDATA_SERIAL" ]; do sleep 0.02; done\nprintf g > "$FLASHDATA_OUT/g.txt"\n`,
    )
    return `sh ${join(dir, 'gen.sh')}`
  }
  const go = (dir: string, s: string) => writeFile(join(dir, `go-${s}`), '')
  const doneLines = (lines: string[]) => lines.filter((l) => l.includes('"type":"board-done"')).length
  const result = (out: string) => ndjson(out).find((l) => l.type === 'result')

  it('a slow generator: the board that finds no row after --count was reached still ends the station with exit 16', async () => {
    const dir = await tempDir()
    await stationFiles(dir, 2)
    const files = makeBoards(join(dir, 'bench'), [1, 2, 3].map(serial))
    const station = startUntil(
      [
        'jig',
        join(dir, 'common'),
        '--pool',
        join(dir, 'pool.csv'),
        '--generate',
        await gatedGenerator(dir),
        '--count',
        '3',
        '--emulator',
        join(dir, 'bench'),
        '--json',
      ],
      instant,
    )
    await Promise.all([serial(1), serial(2)].map((s) => go(dir, s)))
    // The third board's generator ends only once the other two hold the pool's rows and are done.
    await station.until((lines) => doneLines(lines) === 2)
    await go(dir, serial(3))
    expect(await station.exited).toBe(ExitCode.POOL_EXHAUSTED)
    expect(result(station.output())).toMatchObject({ stoppedBy: 'pool-exhausted', boards: 2, flashed: 2, failed: 0 })
    expect(await heldFiles(files[2])).toBeUndefined()
  })

  it('two stations on one pool: the one whose last board finds no row ends with exit 16, that board not counted', async () => {
    const dir = await tempDir()
    await stationFiles(dir, 3)
    const generate = await gatedGenerator(dir)
    makeBoards(join(dir, 'bench-a'), [1, 2].map(serial))
    const [b1, b2] = makeBoards(join(dir, 'bench-b'), [3, 4].map(serial))
    const start = (bench: string) =>
      startUntil(
        [
          'jig',
          join(dir, 'common'),
          '--pool',
          join(dir, 'pool.csv'),
          '--ledger',
          join(dir, 'shared.ndjson'),
          '--generate',
          generate,
          '--count',
          '2',
          '--emulator',
          join(dir, bench),
          '--json',
        ],
        instant,
      )
    const a = start('bench-a')
    const b = start('bench-b')
    await Promise.all([1, 2, 3].map((n) => go(dir, serial(n))))
    expect(await a.exited).toBe(0)
    await b.until((lines) => doneLines(lines) === 1)
    await go(dir, serial(4)) // every row is given now
    expect(await b.exited).toBe(ExitCode.POOL_EXHAUSTED)
    expect(result(a.output())).toMatchObject({ stoppedBy: 'count', boards: 2, flashed: 2 })
    expect(result(b.output())).toMatchObject({ stoppedBy: 'pool-exhausted', boards: 1, flashed: 1 })
    expect(await heldFiles(b1)).toMatchObject({ 'g.txt': 'g' })
    expect(await heldFiles(b2)).toBeUndefined()
  })
})

describe('station settings: one check for the job file and the command line (CLI)', () => {
  const whole = (max: number) => `a whole number from 1 to ${max}`
  const bad: { key: string; value: unknown; flag: string[]; expected: string }[] = [
    { key: 'timeout', value: 0, flag: ['--timeout=0'], expected: whole(86400) },
    { key: 'timeout', value: -5, flag: ['--timeout=-5'], expected: whole(86400) },
    { key: 'count', value: 0, flag: ['--count=0'], expected: whole(1000000) },
    { key: 'count', value: -1, flag: ['--count=-1'], expected: whole(1000000) },
    { key: 'count', value: 1.5, flag: ['--count=1.5'], expected: whole(1000000) },
    { key: 'generateTimeout', value: 0, flag: ['--generate-timeout=0'], expected: whole(3600) },
    { key: 'station', value: '', flag: ['--station='], expected: 'text that is not empty' },
    { key: 'log', value: '', flag: ['--log='], expected: 'text that is not empty' },
    { key: 'folder', value: '', flag: [''], expected: 'text that is not empty' },
  ]

  it.each(bad)(
    'refuses $key $value from either source before any board is touched',
    async ({ key, value, flag, expected }) => {
      const dir = await tempDir()
      await stationFiles(dir, 1)
      const [board] = makeBoards(join(dir, 'bench'), [serial(1)])
      await writeFile(join(dir, 'station.json'), JSON.stringify({ folder: 'common', timeout: 1, [key]: value }))
      const fromJob = await runCli(['jig', '--job', join(dir, 'station.json'), '--emulator', join(dir, 'bench')], {
        env: instant,
      })
      expect(fromJob.code, fromJob.stderr).toBe(ExitCode.INPUT)
      expect(fromJob.stderr).toContain(`"${key}" must be ${expected} (it is ${JSON.stringify(value)}).`)
      const args = flag[0] === '' ? ['jig', ''] : ['jig', join(dir, 'common'), ...flag]
      const fromCli = await runCli([...args, '--timeout', '1', '--emulator', join(dir, 'bench')], { env: instant })
      expect(fromCli.code, fromCli.stderr).toBe(ExitCode.USAGE)
      expect(fromCli.stderr).toContain(`expected ${expected}`)
      expect(await heldFiles(board)).toBeUndefined()
    },
  )
})

describe('a damaged ledger file (CLI)', () => {
  it('refuses to start on a damaged line (exit 3, file and line named), repairs it only when asked, and sets a torn last line aside', async () => {
    const dir = await tempDir()
    await stationFiles(dir, 3)
    const ledgerPath = join(dir, 'pool.ledger.ndjson')
    const jig = (n: number, ...more: string[]) => {
      const bench = join(dir, `bench-${n}`)
      const [file] = makeBoards(bench, [serial(n)])
      const args = ['jig', join(dir, 'common'), '--pool', join(dir, 'pool.csv'), '--emulator', bench, '--count', '1']
      return { file, run: runCli([...args, ...more], { env: instant }) }
    }
    const first = jig(1)
    expect((await first.run).code).toBe(0)
    // The reproduction: sed -i '1s/"row":1/"row":1x/' pool.ledger.ndjson
    const lines = (await readFile(ledgerPath, 'utf8')).split('\n')
    lines[0] = lines[0].replace('"row":1', '"row":1x')
    await writeFile(ledgerPath, lines.join('\n'))

    const refused = jig(2, '--json')
    const run = await refused.run
    expect(run.code).toBe(ExitCode.INPUT)
    expect(ndjson(run.text).at(-1)).toMatchObject({
      type: 'error',
      code: 'LEDGER_CORRUPT',
      message: expect.stringContaining(
        `The ledger "${ledgerPath}" is damaged at line 1: it is not JSON (also line 2).`,
      ),
      hint: expect.stringContaining('--repair-ledger'),
      details: { path: ledgerPath, line: 1 },
    })
    expect(await heldFiles(refused.file)).toBeUndefined()

    const repaired = await runCli(
      [
        'jig',
        join(dir, 'common'),
        '--pool',
        join(dir, 'pool.csv'),
        '--emulator',
        join(dir, 'bench-2'),
        '--count',
        '1',
        '--repair-ledger',
        '--json',
      ],
      { env: instant },
    )
    expect(repaired.code, repaired.stderr).toBe(0)
    expect(ndjson(repaired.text)[0]).toMatchObject({
      type: 'message',
      level: 'warning',
      message: expect.stringMatching(/^Repaired the ledger .* removed 2 lines and kept 0\. .* Retired row 1, /),
    })
    // Row 1 is on the first board: the second gets row 2.
    expect(await heldFiles(refused.file)).toMatchObject({ 'device.crt': 'certificate 2' })

    await writeFile(ledgerPath, '{"op":"reserve","row":3,"ser', { flag: 'a' }) // a crash mid-write
    const afterCrash = jig(3)
    const ran = await afterCrash.run
    expect(ran.code, ran.stderr).toBe(0)
    expect(ran.stderr).toContain(`The ledger "${ledgerPath}" ends with line 4 cut short by a crash mid-write`)
    expect(await heldFiles(afterCrash.file)).toMatchObject({ 'device.crt': 'certificate 3' })

    const help = (await runCli(['jig', '--help'])).text
    expect(help).toContain('--repair-ledger')
    expect(help).toContain('flashdata jig data --pool certs.csv --repair-ledger')
    expect((await runCli(['completion', 'bash'])).text).toContain('--repair-ledger')
  })
})
