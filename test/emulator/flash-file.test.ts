// flashFile: the board's flash kept in a raw 1 MiB file that outlives the process.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { EmulatedElectron, openFlashFile } from '../../src/emulator/index.js'
import { isFlashdataError } from '../../src/errors.js'
import { dfuBoard, erase, pattern, sameBytes, SECTOR_9, writeAt } from './helpers.js'

const directories: string[] = []
function tempFile(): string {
  const directory = mkdtempSync(join(tmpdir(), 'flashdata-emu-'))
  directories.push(directory)
  return join(directory, 'board.bin')
}
afterEach(() => {
  for (const d of directories.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('flashFile', () => {
  it('a missing file is created: exactly 1 MiB, offset 0 = 0x08000000, sector 9 erased, the rest a non-0xFF pattern', () => {
    const file = tempFile()
    const emu = new EmulatedElectron({ flash: openFlashFile(file) })
    const bytes = readFileSync(file)
    expect(bytes.length).toBe(0x100000)
    expect(sameBytes(bytes, emu.readFlash(0x08000000, 0x100000))).toBe(true)
    expect(bytes.subarray(0xa0000, 0xc0000).every((b) => b === 0xff)).toBe(true)
    expect(bytes.subarray(0, 0xa0000).includes(0xff)).toBe(false)
    expect(readdirSync(join(file, '..'))).toEqual(['board.bin']) // no temporary file left behind
  })

  it('writes persist: a second board on the same file sees them, and so does the file itself', async () => {
    const file = tempFile()
    const { device } = await dfuBoard({ flash: openFlashFile(file) })
    await erase(device, SECTOR_9)
    await writeAt(device, SECTOR_9 + 8, pattern(4096))
    const again = new EmulatedElectron({ flash: openFlashFile(file) })
    expect(again.readFlash(SECTOR_9 + 8, 4096)).toEqual(pattern(4096))
    expect(new Uint8Array(readFileSync(file).subarray(0xa0008, 0xa1008))).toEqual(pattern(4096))
  })

  it('a file that is not 1 MiB is refused with INPUT_UNREADABLE, and left alone', () => {
    const file = tempFile()
    writeFileSync(file, Buffer.alloc(1000))
    let error: unknown
    try {
      new EmulatedElectron({ flash: openFlashFile(file) })
    } catch (caught) {
      error = caught
    }
    expect(isFlashdataError(error, 'INPUT_UNREADABLE')).toBe(true)
    expect(readFileSync(file).length).toBe(1000)
  })

  it('a file with any contents of the right size opens (e.g. one left half-written by a crash mid-erase)', () => {
    const file = tempFile()
    const torn = Buffer.alloc(0x100000, 0x5a)
    torn.fill(0xff, 0xa0000, 0xb0000)
    writeFileSync(file, torn)
    expect(new EmulatedElectron({ flash: openFlashFile(file) }).readFlash(SECTOR_9 + 0x10000, 4)).toEqual(
      Uint8Array.of(0x5a, 0x5a, 0x5a, 0x5a),
    )
  })
})

describe('flashFile made with touch', () => {
  it('an empty file is a factory-fresh board, left empty until the first write fills it in', async () => {
    const file = tempFile()
    writeFileSync(file, '')
    const looked = new EmulatedElectron({ flash: openFlashFile(file) })
    expect(looked.readFlash(SECTOR_9, 4)).toEqual(Uint8Array.of(0xff, 0xff, 0xff, 0xff))
    looked.close()
    expect(readFileSync(file).length).toBe(0)
    const { device } = await dfuBoard({ flash: openFlashFile(file) })
    await erase(device, SECTOR_9)
    await writeAt(device, SECTOR_9, pattern(64))
    const bytes = readFileSync(file)
    expect(bytes.length).toBe(0x100000)
    expect(new Uint8Array(bytes.subarray(0xa0000, 0xa0040))).toEqual(pattern(64))
    expect(bytes.subarray(0, 0xa0000).includes(0xff)).toBe(false) // the factory pattern, as for a created file
  })
})
