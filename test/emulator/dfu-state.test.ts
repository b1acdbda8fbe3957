// docs/electron-bootloader.md#dfu-states: the bootloader's DFU state machine, including where it
// departs from the DFU 1.1 standard.
import { describe, expect, it } from 'vitest'
import {
  ABORT,
  CLRSTATUS,
  DNLOAD,
  GETSTATUS,
  STATE,
  UPLOAD,
  classIn,
  classOut,
  command,
  dfuBoard,
  download,
  getState,
  getStatus,
  pattern,
  SECTOR_9,
  setAddress,
} from './helpers.js'
import type { UsbDeviceLike } from '../../src/usb/types.js'

async function intoError(device: UsbDeviceLike) {
  await classOut(device, CLRSTATUS, 0) // outside dfuERROR, CLRSTATUS enters it
  expect(await getState(device)).toBe(STATE.dfuERROR)
}

describe('initial state', () => {
  it('a fresh bootloader is dfuIDLE, status OK, bwPollTimeout 0', async () => {
    const { device } = await dfuBoard()
    expect(await getStatus(device)).toEqual([0x00, 0, 0, 0, STATE.dfuIDLE, 0])
    expect(await getState(device)).toBe(STATE.dfuIDLE)
  })

  it('the address pointer starts at 0x08020000 (the first system module)', async () => {
    const { emu, device } = await dfuBoard()
    const upload = await classIn(device, UPLOAD, 2, 32)
    expect([...new Uint8Array(upload.data!.buffer)]).toEqual([...emu.readFlash(0x08020000, 32)])
  })
})

describe('DNLOAD', () => {
  it('with data in dfuIDLE: stored, state dfuDNLOAD-SYNC, nothing executed yet', async () => {
    const { emu, device } = await dfuBoard()
    expect((await classOut(device, DNLOAD, 0, command(0x41, SECTOR_9))).status).toBe('ok')
    expect(await getState(device)).toBe(STATE.dfuDNLOAD_SYNC)
    expect(emu.flashLog).toEqual([])
  })

  it('is accepted in dfuDNLOAD-IDLE too', async () => {
    const { device } = await dfuBoard()
    await setAddress(device, SECTOR_9)
    expect((await classOut(device, DNLOAD, 2, pattern(16))).status).toBe('ok')
  })

  it('stalls in any other state and leaves the state unchanged (no move to dfuERROR)', async () => {
    const { device } = await dfuBoard()
    await classOut(device, DNLOAD, 0, command(0x21, SECTOR_9))
    expect((await classOut(device, DNLOAD, 2, pattern(16))).status).toBe('stall')
    expect(await getState(device)).toBe(STATE.dfuDNLOAD_SYNC)

    await classOut(device, ABORT, 0)
    await classIn(device, UPLOAD, 0, 3) // -> dfuUPLOAD-IDLE
    expect((await classOut(device, DNLOAD, 2, pattern(16))).status).toBe('stall')
    expect(await getState(device)).toBe(STATE.dfuUPLOAD_IDLE)

    await intoError(device)
    expect((await classOut(device, DNLOAD, 2, pattern(16))).status).toBe('stall')
    expect(await getState(device)).toBe(STATE.dfuERROR)
  })

  it('never accepts more than 4096 bytes (the bootloader buffer): stall', async () => {
    const { device } = await dfuBoard()
    expect((await classOut(device, DNLOAD, 2, new Uint8Array(4097))).status).toBe('stall')
    expect(await getState(device)).toBe(STATE.dfuIDLE)
  })
})

describe('deferred execution in GETSTATUS', () => {
  it('GETSTATUS #1 reports dfuDNBUSY (4) and runs the command; #2 reports dfuDNLOAD-IDLE (5)', async () => {
    const { emu, device } = await dfuBoard()
    await classOut(device, DNLOAD, 0, command(0x41, SECTOR_9))
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuDNBUSY, 0])
    expect(emu.flashLog).toEqual([{ op: 'erase', address: SECTOR_9, length: 0x20000 }])
    expect(await getState(device)).toBe(STATE.dfuDNLOAD_SYNC)
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuDNLOAD_IDLE, 0])
  })

  it('a failed command stalls GETSTATUS #1; the state still returns to dfuDNLOAD-SYNC and #2 reports status OK', async () => {
    const { device } = await dfuBoard()
    const result = await download(device, 0, command(0x41, 0x08000000))
    expect(result).toEqual({ dnload: 'ok', first: 'stall', second: [0, 0, 0, 0, STATE.dfuDNLOAD_IDLE, 0] })
  })

  it('every command needs two GETSTATUS: a DNLOAD after only one stalls', async () => {
    const { device } = await dfuBoard()
    await classOut(device, DNLOAD, 0, command(0x21, SECTOR_9))
    await getStatus(device)
    expect((await classOut(device, DNLOAD, 2, pattern(8))).status).toBe('stall')
    await getStatus(device)
    expect((await classOut(device, DNLOAD, 2, pattern(8))).status).toBe('ok')
  })
})

describe('CLRSTATUS, ABORT, GETSTATE, DETACH', () => {
  it('CLRSTATUS in dfuERROR returns to dfuIDLE with status OK', async () => {
    const { device } = await dfuBoard()
    await intoError(device)
    await classOut(device, CLRSTATUS, 0)
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuIDLE, 0])
  })

  it('CLRSTATUS anywhere else enters dfuERROR with status errUNKNOWN (0x0E), so two in a row trap the host again', async () => {
    const { device } = await dfuBoard()
    await classOut(device, CLRSTATUS, 0)
    expect(await getStatus(device)).toEqual([0x0e, 0, 0, 0, STATE.dfuERROR, 0])
    await classOut(device, CLRSTATUS, 0)
    await classOut(device, CLRSTATUS, 0)
    expect(await getStatus(device)).toEqual([0x0e, 0, 0, 0, STATE.dfuERROR, 0])
  })

  it('ABORT returns to dfuIDLE from dfuDNLOAD-SYNC, dfuDNLOAD-IDLE and dfuUPLOAD-IDLE', async () => {
    const { device } = await dfuBoard()
    await classOut(device, DNLOAD, 0, command(0x21, SECTOR_9))
    await classOut(device, ABORT, 0)
    expect(await getState(device)).toBe(STATE.dfuIDLE)
    await setAddress(device, SECTOR_9)
    await classOut(device, ABORT, 0)
    expect(await getState(device)).toBe(STATE.dfuIDLE)
    await classIn(device, UPLOAD, 2, 16)
    await classOut(device, ABORT, 0)
    expect(await getState(device)).toBe(STATE.dfuIDLE)
  })

  it('ABORT after DNLOAD discards the pending block: the next GETSTATUS runs nothing', async () => {
    const { emu, device } = await dfuBoard()
    await classOut(device, DNLOAD, 0, command(0x41, SECTOR_9))
    await classOut(device, ABORT, 0)
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuIDLE, 0])
    expect(emu.flashLog).toEqual([])
  })

  it('ABORT is silently ignored in dfuERROR', async () => {
    const { device } = await dfuBoard()
    await intoError(device)
    expect((await classOut(device, ABORT, 0)).status).toBe('ok')
    expect(await getStatus(device)).toEqual([0x0e, 0, 0, 0, STATE.dfuERROR, 0])
  })

  it('DETACH is acknowledged and the board stays in DFU mode', async () => {
    const { emu, device } = await dfuBoard()
    expect((await classOut(device, 0, 1000)).status).toBe('ok')
    expect(await getState(device)).toBe(STATE.dfuIDLE)
    expect(emu.device).toBe(device)
  })

  it('SET_CONFIGURATION puts the bootloader back in dfuIDLE', async () => {
    const { device } = await dfuBoard()
    await intoError(device)
    await device.releaseInterface(0)
    await device.selectConfiguration(1)
    await device.claimInterface(0)
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuIDLE, 0])
  })

  it('GETSTATUS in a state with nothing pending only reports', async () => {
    const { device } = await dfuBoard()
    expect(await getStatus(device)).toEqual(await getStatus(device))
    expect((await classIn(device, GETSTATUS, 0, 2)).data!.byteLength).toBe(2)
  })
})
