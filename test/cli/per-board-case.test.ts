import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, ExitCode, openFlashFile, parseImage } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const SERIAL = 'e00fce68a1b2c3d4e5f60718'
const SECTOR = 0xa0000

async function heldNames(file: string): Promise<string[]> {
  const parsed = parseImage((await readFile(file)).subarray(SECTOR, SECTOR + 131072))
  return parsed.valid ? parsed.files.map((f) => f.name).sort() : []
}

describe('per-board folders named in another case (CLI)', () => {
  it('--per-board-optional finds the folder named by the upper-case serial; two folders differing only in case fail the board untouched (exit 3)', async () => {
    const dir = await tempDir()
    await writeTree(join(dir, 'common'), { 'ca.pem': 'CA' })
    await writeTree(join(dir, 'boards', SERIAL.toUpperCase()), { 'own.txt': 'mine' })
    const board = join(dir, `${SERIAL}.bin`)
    new EmulatedElectron({ flash: openFlashFile(board), timing: 'instant' }).close()
    const args = ['push', join(dir, 'common'), '--per-board', join(dir, 'boards'), '--per-board-optional', '--json']
    const env = { ...instant, FLASHDATA_EMULATOR: board }

    const pushed = await runCli(args, { env })
    expect(pushed.code, pushed.stderr).toBe(0)
    expect(ndjson(pushed.text).at(-1)).toMatchObject({
      provision: { overlay: { folder: join(dir, 'boards', SERIAL.toUpperCase()), files: ['own.txt'] } },
    })
    expect(await heldNames(board)).toEqual(['ca.pem', 'own.txt'])

    await writeTree(join(dir, 'boards', 'E00fce68a1b2c3d4e5f60718'), { 'own.txt': 'or mine?' })
    await writeTree(join(dir, 'common'), { 'new.txt': 'a change that would be written' })
    const before = await readFile(board)
    const refused = await runCli(args, { env })
    expect(refused.code).toBe(ExitCode.INPUT)
    expect(ndjson(refused.text).at(-1)).toMatchObject({
      code: 'PER_BOARD_AMBIGUOUS',
      details: { serial: SERIAL, folders: [SERIAL.toUpperCase(), 'E00fce68a1b2c3d4e5f60718'].sort() },
    })
    expect((await readFile(board)).equals(before)).toBe(true)
  })
})
