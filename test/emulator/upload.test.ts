// docs/electron-bootloader.md#upload: UPLOAD, and its quirks (exactly wLength bytes, never a short
// block; block 1 breaks the state).
import { describe, expect, it } from 'vitest'
import {
  ABORT,
  CLRSTATUS,
  DNLOAD,
  STATE,
  UPLOAD,
  bytes,
  classIn,
  classOut,
  dfuBoard,
  getState,
  getStatus,
  pattern,
  SECTOR_9,
  setAddress,
  writeAt,
} from './helpers.js'

describe('UPLOAD', () => {
  it('block 0 returns exactly the command list 00 21 41 (no 0x92); wLength > 3 leaves dfuIDLE', async () => {
    const { device } = await dfuBoard()
    expect(bytes((await classIn(device, UPLOAD, 0, 4096)).data)).toEqual([0x00, 0x21, 0x41])
    expect(await getState(device)).toBe(STATE.dfuIDLE)
  })

  it('block 0 with wLength 3 moves to dfuUPLOAD-IDLE', async () => {
    const { device } = await dfuBoard()
    expect(bytes((await classIn(device, UPLOAD, 0, 3)).data)).toEqual([0x00, 0x21, 0x41])
    expect(await getState(device)).toBe(STATE.dfuUPLOAD_IDLE)
  })

  it('block n >= 2 returns exactly wLength bytes from pointer + (n-2) * 4096 and moves to dfuUPLOAD-IDLE', async () => {
    const { emu, device } = await dfuBoard()
    await writeAt(device, SECTOR_9 + 4096, pattern(4096))
    await setAddress(device, SECTOR_9)
    await classOut(device, ABORT, 0)
    expect(bytes((await classIn(device, UPLOAD, 3, 100)).data)).toEqual([...pattern(100)])
    expect(await getState(device)).toBe(STATE.dfuUPLOAD_IDLE)
    expect(bytes((await classIn(device, UPLOAD, 2, 4096)).data)).toEqual([...emu.readFlash(SECTOR_9, 4096)])
  })

  it('never sends a short final block: a read running past the end of flash is padded with zeros to wLength', async () => {
    const { emu, device } = await dfuBoard()
    await setAddress(device, 0x080fff00)
    await classOut(device, ABORT, 0)
    const data = bytes((await classIn(device, UPLOAD, 2, 4096)).data)
    expect(data).toHaveLength(4096)
    expect(data.slice(0, 256)).toEqual([...emu.readFlash(0x080fff00, 256)])
    expect(data.slice(256).every((b) => b === 0)).toBe(true)
  })

  it('block 1 stalls and leaves the internal state 0x0F, from which only CLRSTATUS twice recovers', async () => {
    const { device } = await dfuBoard()
    expect((await classIn(device, UPLOAD, 1, 64)).status).toBe('stall')
    expect(await getState(device)).toBe(0x0f)
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, 0x0f, 0])
    await classOut(device, ABORT, 0) // ignored in 0x0F
    expect(await getState(device)).toBe(0x0f)
    await classOut(device, CLRSTATUS, 0)
    expect(await getState(device)).toBe(STATE.dfuERROR)
    await classOut(device, CLRSTATUS, 0)
    expect(await getState(device)).toBe(STATE.dfuIDLE)
  })

  it('wLength 0 returns to dfuIDLE from any state, even dfuERROR', async () => {
    const { device } = await dfuBoard()
    await classOut(device, CLRSTATUS, 0)
    expect((await classIn(device, UPLOAD, 2, 0)).status).toBe('ok')
    expect(await getState(device)).toBe(STATE.dfuIDLE)
  })

  it('stalls outside dfuIDLE and dfuUPLOAD-IDLE and keeps the state', async () => {
    const { device } = await dfuBoard()
    await setAddress(device, SECTOR_9)
    expect((await classIn(device, UPLOAD, 2, 64)).status).toBe('stall')
    expect(await getState(device)).toBe(STATE.dfuDNLOAD_IDLE)
  })

  it('after an upload, DNLOAD stalls until an ABORT', async () => {
    const { device } = await dfuBoard()
    await classIn(device, UPLOAD, 2, 64)
    expect((await classOut(device, DNLOAD, 2, pattern(4))).status).toBe('stall')
    await classOut(device, ABORT, 0)
    expect((await classOut(device, DNLOAD, 2, pattern(4))).status).toBe('ok')
  })

  it('more than 4096 bytes in one UPLOAD stall (the bootloader buffer)', async () => {
    const { device } = await dfuBoard()
    expect((await classIn(device, UPLOAD, 2, 4097)).status).toBe('stall')
  })
})
