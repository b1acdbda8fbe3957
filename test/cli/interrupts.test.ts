import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, ExitCode } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'
import { ndjson, runCli, startUntil } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

describe('interruptions', () => {
  it('a push killed in the middle of writing leaves a flash file that the next push opens and fixes', async () => {
    const dir = await tempDir()
    const image = join(dir, 'big.bin')
    await writeFile(
      image,
      buildImage([{ name: 'big.bin', data: pseudoRandomBytes(120_000, 8), mtime: 1 }], { epoch: 1 }),
    )
    const board = join(dir, 'electron.bin')
    const env = { FLASHDATA_EMULATOR: board, FLASHDATA_EMULATOR_MODE: 'dfu', FLASHDATA_EMULATOR_TIMING: 'datasheet' }
    // Kill it (no clean-up at all) once the write has made progress.
    const run = startUntil(
      ['push', image, '--json'],
      env,
      (line) => line.includes('"phase":"write"') && line.includes('"type":"progress"'),
    )
    await run.reached
    run.child.kill('SIGKILL')
    await run.exited
    const after = { ...env, FLASHDATA_EMULATOR_TIMING: 'instant' }
    expect((await runCli(['verify', image], { env: after })).code).toBe(ExitCode.NO_IMAGE_ON_DEVICE)
    const fixed = await runCli(['push', image, '--json'], { env: after })
    expect(ndjson(fixed.text).at(-1)).toMatchObject({ type: 'result', status: 'flashed' })
    expect((await runCli(['verify', image], { env: after })).code).toBe(0)
  })

  // Stopped in a phase that lasts long enough with datasheet timing: a 1 s erase, a 1.3 s switch to DFU mode.
  it.each([
    ['push', 'SIGINT', 'erase', 'the data sector may hold a half-written image'],
    ['verify', 'SIGTERM', 'mode-switch', 'nothing had been erased or written'],
    ['pull', 'SIGINT', 'mode-switch', 'nothing had been erased or written'],
  ] as const)(
    '%s --json stopped by %s ends with the INTERRUPTED error line, saying what the phase left (exit 130)',
    async (command, signal, phase, left) => {
      const dir = await tempDir()
      const env = { FLASHDATA_EMULATOR: join(dir, 'electron.bin'), FLASHDATA_EMULATOR_TIMING: 'instant' }
      // verify and pull need an image on the board; the push leaves it running its firmware.
      if (command !== 'push') expect((await runCli(['push', 'examples/data'], { env })).code).toBe(0)
      const args = { push: ['examples/data'], verify: ['examples/data'], pull: ['-o', join(dir, 'out.bin')] }[command]
      const run = startUntil(
        [command, ...args, '--json'],
        { ...env, FLASHDATA_EMULATOR_TIMING: 'datasheet' },
        (line) => line.includes('"phase-start"') && line.includes(`"phase":"${phase}"`),
      )
      await run.reached
      run.child.kill(signal)
      expect(await run.exited).toBe(ExitCode.INTERRUPTED)
      const last = ndjson(run.output()).at(-1)!
      expect(last).toMatchObject({ type: 'error', code: 'INTERRUPTED', exitCode: 130, details: { signal, phase } })
      expect(String(last.message).startsWith(`Interrupted by ${signal} during ${phase}: ${left}`)).toBe(true)
    },
  )

  it('Ctrl-C stops the jig taking boards but finishes the board in progress', async () => {
    const dir = await tempDir()
    const station = join(dir, 'station')
    await mkdir(station)
    const env = { FLASHDATA_EMULATOR_TIMING: 'datasheet' }
    await writeFile(join(station, 'aaaaaaaaaaaaaaaaaaaaaaa1.bin'), '') // an empty file is a factory-fresh board
    const run = startUntil(['jig', 'examples/data', '--json', '--emulator', station], env, (line) =>
      line.includes('"type":"board-attached"'),
    )
    await run.reached
    run.child.kill('SIGINT')
    expect(await run.exited).toBe(0)
    const events = ndjson(run.output())
    expect(events.find((e) => e.type === 'board-done')).toMatchObject({ record: { outcome: 'flashed' } })
    expect(events.at(-1)).toMatchObject({ type: 'result', command: 'jig', boards: 1, flashed: 1, stoppedBy: 'signal' })
  })

  it.each([
    ['a second Ctrl-C', ['SIGINT', 'SIGINT']],
    ['SIGTERM', ['SIGTERM']],
  ] as const)(
    '%s records every board in progress as aborted, with its phase, names them and exits 130',
    async (_name, signals) => {
      const dir = await tempDir()
      const station = join(dir, 'station')
      await mkdir(station)
      const env = { FLASHDATA_EMULATOR_TIMING: 'datasheet' }
      const serials = ['aaaaaaaaaaaaaaaaaaaaaaa1', 'aaaaaaaaaaaaaaaaaaaaaaa2']
      for (const serial of serials) await writeFile(join(station, `${serial}.bin`), '') // empty: a factory-fresh board
      const log = join(dir, 'log.ndjson')
      // Both boards mid-erase (a datasheet erase takes a second).
      // A set of lines: the predicate sees every line again on each new chunk of output.
      const erasing = new Set<string>()
      const run = startUntil(
        ['jig', 'examples/data', '--json', '--log', log, '--emulator', station],
        env,
        (line) => line.includes('"phase-start"') && line.includes('"phase":"erase"') && erasing.add(line).size >= 2,
      )
      await run.reached
      for (const signal of signals) {
        run.child.kill(signal)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(await run.exited).toBe(ExitCode.INTERRUPTED)
      const records = ndjson(await readFile(log, 'utf8'))
      expect(records.map((r) => r.serial).sort()).toEqual(serials)
      const last = ndjson(run.output()).at(-1)!
      expect(last).toMatchObject({ type: 'error', code: 'INTERRUPTED', exitCode: 130 })
      for (const record of records) {
        // Erasing when the test looked; one may have gone on to write since.
        expect(record).toMatchObject({
          outcome: 'aborted',
          failedPhase: expect.stringMatching(/^(erase|write)$/),
          error: { code: 'INTERRUPTED' },
        })
        expect(last.message).toContain(`${record.serial} (during ${record.failedPhase})`)
      }
    },
    60_000,
  )
})
