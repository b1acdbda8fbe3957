// DELIBERATE WRITES OUTSIDE SECTOR 9. Every test here erases or programs flash outside 0x080A0000-0x080BFFFF
// on purpose, to pin down bootloader behaviour that involves the firmware or the DCT. Keep such tests in this file.
import { describe, expect, it } from 'vitest'
import { allowWritesOutsideDataSector } from '../helpers/guard.js'
import {
  DNLOAD,
  STATE,
  classOut,
  dfuBoard as plainBoard,
  erase,
  getStatus,
  pattern,
  readAt,
  writeAt,
} from './helpers.js'

/** A DFU-mode board the global guard lets write outside sector 9. */
async function dfuBoard() {
  const board = await plainBoard()
  allowWritesOutsideDataSector(board.emu)
  return board
}

const ok = { dnload: 'ok', first: [0, 0, 0, 0, STATE.dfuDNBUSY, 0], second: [0, 0, 0, 0, STATE.dfuDNLOAD_IDLE, 0] }
const SYSTEM_PART_2 = 0x08020000
const DCT = 0x08004000

describe('writes outside sector 9 (deliberate)', () => {
  it('WRITES SECTOR 5: 0x08020000, the first system module, is erasable and writable over DFU', async () => {
    const { emu, device } = await dfuBoard()
    expect(await erase(device, SYSTEM_PART_2)).toEqual(ok)
    expect(await writeAt(device, SYSTEM_PART_2, pattern(4096))).toEqual(ok)
    expect(emu.readFlash(SYSTEM_PART_2, 4096)).toEqual(pattern(4096))
    expect(emu.flashLog).toEqual([
      { op: 'erase', address: SYSTEM_PART_2, length: 0x20000 },
      { op: 'program', address: SYSTEM_PART_2, length: 4096 },
    ])
  })

  it('ERASES SECTOR 5: after leave, a board whose module at 0x08020000 is erased comes back in DFU mode', async () => {
    const { emu, device } = await dfuBoard()
    await erase(device, SYSTEM_PART_2)
    await classOut(device, DNLOAD, 2)
    await getStatus(device)
    const next = await emu.nextDevice()
    expect([next.productId, emu.mode]).toEqual([0xd00a, 'dfu'])
  })

  it('WRITES THE DCT (sector 1): a DCT write through alt 1 rewrites the 16K sector (one erase, one program) at absolute addresses', async () => {
    const { emu, device } = await dfuBoard()
    await device.selectAlternateInterface(0, 1)
    const before = emu.readFlash(DCT, 0x4000)
    expect(await writeAt(device, 2977, Uint8Array.of(1, 2, 3))).toEqual({
      ...ok,
      first: [0, 1, 0, 0, STATE.dfuDNBUSY, 0],
      second: [0, 1, 0, 0, STATE.dfuDNLOAD_IDLE, 0],
    })
    expect(emu.flashLog).toEqual([
      { op: 'erase', address: DCT, length: 0x4000 },
      { op: 'program', address: DCT, length: 0x4000 },
    ])
    const expected = before.slice()
    expected.set([1, 2, 3], 2977)
    expect(emu.readFlash(DCT, 0x4000)).toEqual(expected)
    expect(await readAt(device, 2976, 5)).toEqual([before[2976], 1, 2, 3, before[2980]])
  })

  it('WRITES THE DCT: a DCT write over any data succeeds (no verify), but one running past 0x4000 is refused', async () => {
    const { emu, device } = await dfuBoard()
    await device.selectAlternateInterface(0, 1)
    expect((await writeAt(device, 0, Uint8Array.of(0xff, 0xff))).first).toEqual([0, 1, 0, 0, STATE.dfuDNBUSY, 0])
    expect(emu.readFlash(DCT, 2)).toEqual(Uint8Array.of(0xff, 0xff))
    expect((await writeAt(device, 0x3ffe, Uint8Array.of(1, 2, 3))).first).toBe('stall')
  })
})
