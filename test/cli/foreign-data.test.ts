import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeFlashFileAt } from '../helpers/particle-module.js'
import { tempDir } from '../helpers/tmp.js'

const SECTOR_9 = 0x080a0000
const SECTOR_OFFSET = SECTOR_9 - 0x08000000

describe('push classifies the whole data sector before erasing it (CLI)', () => {
  it('data only after the first 4 KiB (at 0x2000, the start erased) is foreign: refused untouched; --force backs it up first', async () => {
    const dir = await tempDir()
    const board = join(dir, 'electron.bin')
    await writeFlashFileAt(board, SECTOR_9 + 0x2000, new TextEncoder().encode('calibration table v3'))
    const before = await readFile(board)
    const env = { FLASHDATA_EMULATOR: board, FLASHDATA_EMULATOR_TIMING: 'instant' }

    const refused = await runCli(['push', 'examples/data', '--json'], { env })
    expect(refused.code).toBe(ExitCode.FOREIGN_DATA)
    const events = ndjson(refused.text)
    expect(events.find((e) => e.type === 'phase-end' && e.phase === 'compare')).toMatchObject({
      bytes: 131072,
      detail: 'the board holds data that is neither a flashdata image nor a Particle firmware module',
    })
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'FOREIGN_DATA',
      details: { contents: { kind: 'unknown' } },
    })
    expect(Buffer.compare(await readFile(board), before)).toBe(0)

    const forced = await runCli(['push', 'examples/data', '--force', '--backup-dir', dir], { env })
    expect(forced.code).toBe(0)
    expect(forced.stderr).not.toContain('nothing (erased)')
    const [backup] = (await readdir(dir)).filter((f) => f.startsWith('flashdata-backup-'))
    expect(
      Buffer.compare(await readFile(join(dir, backup)), before.subarray(SECTOR_OFFSET, SECTOR_OFFSET + 131072)),
    ).toBe(0)
  })

  it('a sector erased throughout is said to hold nothing', async () => {
    const board = join(await tempDir(), 'electron.bin')
    const pushed = await runCli(['push', 'examples/data'], {
      env: { FLASHDATA_EMULATOR: board, FLASHDATA_EMULATOR_TIMING: 'instant' },
    })
    expect(pushed.code).toBe(0)
    expect(pushed.stderr).toContain('Compared: the board holds nothing (erased) (131,072 bytes')
  })
})
