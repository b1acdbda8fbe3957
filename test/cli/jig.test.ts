import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli, startUntil } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const SERIALS = ['aaaaaaaaaaaaaaaaaaaaaaa1', 'aaaaaaaaaaaaaaaaaaaaaaa2', 'aaaaaaaaaaaaaaaaaaaaaaa3']

/** Makes a factory-fresh emulated board: an empty flash file. */
async function makeBoard(staging: string, name: string): Promise<string> {
  const file = join(staging, `${name}.bin`)
  await writeFile(file, '')
  return file
}

/** A station folder (boards plugged in) and a staging folder (boards waiting on the desk). */
async function benchFolders() {
  const dir = await tempDir()
  const station = join(dir, 'station')
  const staging = join(dir, 'staging')
  await mkdir(station)
  await mkdir(staging)
  return { dir, station, staging }
}

describe('flashdata jig (CLI, --json)', () => {
  it('flashes boards as they arrive, logs one record per board and ends with a summary', async () => {
    const { dir, station, staging } = await benchFolders()
    for (const serial of SERIALS) await makeBoard(staging, serial)
    await rename(join(staging, `${SERIALS[0]}.bin`), join(station, `${SERIALS[0]}.bin`))
    await rename(join(staging, `${SERIALS[1]}.bin`), join(station, `${SERIALS[1]}.bin`))
    const log = join(dir, 'results.ndjson')
    const running = runCli(['jig', 'examples/data', '--json', '--emulator', station, '--log', log, '--timeout', '2'], {
      env,
    })
    setTimeout(() => void rename(join(staging, `${SERIALS[2]}.bin`), join(station, `${SERIALS[2]}.bin`)), 700)
    const result = await running
    expect(result.code).toBe(0)
    const events = ndjson(result.text)
    expect(events.at(-1)).toMatchObject({
      type: 'result',
      command: 'jig',
      boards: 3,
      flashed: 3,
      failed: 0,
      stoppedBy: 'timeout',
    })
    const records = ndjson(await readFile(log, 'utf8'))
    expect(records.map((r) => r.serial).sort()).toEqual(SERIALS)
    expect(records.every((r) => r.outcome === 'flashed')).toBe(true)
    for (const serial of SERIALS) {
      expect(events.filter((e) => e.serial === serial && e.type === 'phase-end').map((e) => e.phase)).toEqual([
        'connect',
        'mode-switch',
        'compare',
        'erase',
        'write',
        'verify',
        'leave',
      ])
    }
  })

  it('exits 14 when a board fails, after recording it', async () => {
    const dir = await tempDir()
    const station = join(dir, 'station')
    await mkdir(station)
    await makeBoard(station, `photon-${SERIALS[0]}`)
    await makeBoard(station, SERIALS[1])
    const log = join(dir, 'results.ndjson')
    const result = await runCli(['jig', 'examples/data', '--emulator', station, '--log', log, '--count', '2'], { env })
    expect(result.code).toBe(ExitCode.JIG_FAILURES)
    expect(result.text).toContain('1 flashed, 0 unchanged, 1 failed')
    expect(result.text).toMatch(
      new RegExp(`✖ ${SERIALS[0]} \\(port [^)]+photon-${SERIALS[0]}\\.bin\\) failed during connect: .*Photon`),
    )
    expect(result.text).toMatch(
      /^Station stopped \(the --count of boards is done\): 2 boards, 1 flashed, 0 unchanged, 1 failed;/,
    )
    expect(
      ndjson(await readFile(log, 'utf8'))
        .map((r) => r.outcome)
        .sort(),
    ).toEqual(['failed', 'flashed'])
  })

  it('a board whose flash file cannot be opened fails alone; once the file is whole it is plugged in again and flashed', async () => {
    const { station, staging } = await benchFolders()
    await makeBoard(station, SERIALS[0])
    await writeFile(join(station, 'copying.bin'), 'half a copy')
    const done = (lines: string[]) => lines.filter((l) => l.includes('"type":"board-done"'))
    const run = startUntil(['jig', 'examples/data', '--json', '--emulator', station, '--timeout', '3'], env)
    await run.until((lines) => done(lines).length >= 2)
    const failed = done(run.output().split('\n'))
      .map((l) => JSON.parse(l).record)
      .find((r) => r.outcome === 'failed')
    expect(failed).toMatchObject({ failedPhase: 'connect', error: { code: 'INPUT_UNREADABLE' } })
    expect(failed.error.message).toContain('copying.bin is not an emulator flash file')
    // The copy finishes: the same board, now usable, is taken again (a retry, not a new board).
    await makeBoard(staging, 'copying')
    await rename(join(staging, 'copying.bin'), join(station, 'copying.bin'))
    await run.until((lines) => done(lines).length >= 3)
    expect(await run.exited).toBe(0) // each board's last attempt counts
    const records = ndjson(run.output())
      .filter((e) => e.type === 'board-done')
      .map((e) => e.record as { serial: string; outcome: string })
    expect(records.map((r) => r.outcome).sort()).toEqual(['failed', 'flashed', 'flashed'])
    expect(records.at(-1)!.serial).toBe(failed.serial)
  })

  it('two boards sharing a serial: each fails once with that reason and its port; alone again, the other is flashed', async () => {
    const { station, staging } = await benchFolders()
    const upper = await makeBoard(station, SERIALS[0].toUpperCase())
    const lower = await makeBoard(station, SERIALS[0])
    const done = (lines: string[]) => lines.filter((l) => l.includes('"type":"board-done"'))
    const run = startUntil(['jig', 'examples/data', '--json', '--emulator', station, '--timeout', '3'], env)
    await run.until((lines) => done(lines).length >= 2)
    await rename(upper, join(staging, 'unplugged.bin'))
    await run.until((lines) => done(lines).length >= 3)
    expect(await run.exited).toBe(0) // the serial's last attempt was flashed
    const records = ndjson(run.output())
      .filter((e) => e.type === 'board-done')
      .map((e) => e.record as { port: string; outcome: string; error?: { code: string; message: string } })
    expect(
      records
        .slice(0, 2)
        .map((r) => r.port)
        .sort(),
    ).toEqual([upper, lower].sort())
    for (const record of records.slice(0, 2)) {
      expect(record).toMatchObject({ outcome: 'failed', error: { code: 'AMBIGUOUS_DEVICE' } })
      expect(record.error!.message).toContain('they share a serial')
    }
    expect(records[2]).toMatchObject({ port: lower, outcome: 'flashed' })
  })

  it('--slots names reach the screen escaped, as every name does', async () => {
    const { dir, station } = await benchFolders()
    const board = await makeBoard(station, SERIALS[0])
    const slots = join(dir, 'slots.json')
    await writeFile(slots, JSON.stringify({ [board]: 'A\x1b[2J\nB' }))
    const result = await runCli(['jig', 'examples/data', '--emulator', station, '--slots', slots, '--count', '1'], {
      env,
    })
    expect(result.code).toBe(0)
    const screen = result.text + result.stderr
    expect(screen).toContain(`attached at slot A\\x1b[2J\\nB, port ${board}`)
    expect(screen).not.toContain('\x1b')
  })

  it('counts boards, not attempts, against --count, and a failed record names the phase it failed in', async () => {
    const { dir, station, staging } = await benchFolders()
    const photon = `photon-${SERIALS[0]}.bin`
    await makeBoard(station, `photon-${SERIALS[0]}`)
    await makeBoard(staging, SERIALS[1])
    const log = join(dir, 'results.ndjson')
    const done = (n: number) => (lines: string[]) => lines.filter((l) => l.includes('"type":"board-done"')).length >= n
    const run = startUntil(['jig', 'examples/data', '--json', '--emulator', station, '--count', '2', '--log', log], env)
    await run.until(done(1)) // the Photon is refused
    await rename(join(station, photon), join(staging, photon)) // unplugged...
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await rename(join(staging, photon), join(station, photon)) // ...and plugged back in: a retry, not a second board
    await run.until(done(2))
    await rename(join(staging, `${SERIALS[1]}.bin`), join(station, `${SERIALS[1]}.bin`))
    expect(await run.exited).toBe(ExitCode.JIG_FAILURES)
    expect(ndjson(run.output()).at(-1)).toMatchObject({
      type: 'result',
      command: 'jig',
      boards: 2,
      attempts: 3,
      flashed: 1,
      failed: 1,
      stoppedBy: 'count',
    })
    const records = ndjson(await readFile(log, 'utf8'))
    expect(records.map((r) => [r.serial, r.outcome])).toEqual([
      [SERIALS[0], 'failed'],
      [SERIALS[0], 'failed'],
      [SERIALS[1], 'flashed'],
    ])
    expect(records[0]).toMatchObject({ failedPhase: 'connect', error: { code: 'WRONG_DEVICE' } }) // refused once found
    expect(Object.keys(records[0].phases as object)).toEqual(['connect'])
  })
})
