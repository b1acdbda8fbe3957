// Fault injection: each fault shows on the wire exactly as the real failure would, fires once, then is gone.
import { describe, expect, it } from 'vitest'
import { EmulatedElectron } from '../../src/emulator/index.js'
import {
  DNLOAD,
  GETSTATUS,
  STATE,
  UPLOAD,
  classIn,
  classOut,
  dfuBoard,
  download,
  erase,
  getState,
  getStatus,
  openDevice,
  pattern,
  readAt,
  SECTOR_9,
  setAddress,
  writeAt,
} from './helpers.js'

const ok = { dnload: 'ok', first: [0, 0, 0, 0, STATE.dfuDNBUSY, 0], second: [0, 0, 0, 0, STATE.dfuDNLOAD_IDLE, 0] }
const failed = { ...ok, first: 'stall' }
const IDLE = [0, 0, 0, 0, STATE.dfuIDLE, 0]

describe('request faults', () => {
  it('stallRequest stalls the n-th matching DFU request from now, without processing it, once', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.stallRequest({ request: GETSTATUS, occurrence: 2 })
    expect(await getStatus(device)).toEqual(IDLE)
    expect(await getStatus(device)).toBe('stall')
    expect(await getStatus(device)).toEqual(IDLE)
  })

  it('a stalled DNLOAD stores nothing: the state stays dfuIDLE', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.stallRequest({ request: DNLOAD })
    expect((await classOut(device, DNLOAD, 2, pattern(8))).status).toBe('stall')
    expect(await getState(device)).toBe(STATE.dfuIDLE)
  })

  it('neverAnswer: the host times out; the request had no effect and the board keeps working', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.neverAnswer({ request: DNLOAD })
    await expect(
      device.controlTransferOut(
        { requestType: 'class', recipient: 'interface', request: DNLOAD, value: 2, index: 0 },
        pattern(8),
        20,
      ),
    ).rejects.toThrow('timed out')
    expect(await getState(device)).toBe(STATE.dfuIDLE)
    expect((await classOut(device, DNLOAD, 2, pattern(8))).status).toBe('ok')
  })

  it('clear() disarms every fault', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.stallRequest({ request: GETSTATUS })
    emu.faults.failNextErase()
    emu.faults.clear()
    expect(await getStatus(device)).toEqual(IDLE)
    expect(await erase(device, SECTOR_9)).toEqual(ok)
  })
})

describe('flash faults', () => {
  it('failNextErase: GETSTATUS #1 stalls, the sector is untouched; the next erase works', async () => {
    const { emu, device } = await dfuBoard()
    await writeAt(device, SECTOR_9, pattern(16))
    emu.faults.failNextErase()
    expect(await erase(device, SECTOR_9)).toEqual(failed)
    expect(emu.readFlash(SECTOR_9, 16)).toEqual(pattern(16))
    expect(await erase(device, SECTOR_9)).toEqual(ok)
  })

  it('failNextWrite: GETSTATUS #1 stalls, nothing is programmed; the next write works', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.failNextWrite()
    expect(await writeAt(device, SECTOR_9, pattern(16))).toEqual(failed)
    expect(emu.flashLog).toEqual([])
    expect(await writeAt(device, SECTOR_9, pattern(16))).toEqual(ok)
  })

  it('corruptNextWrite: a bad cell flips bits after the verify passed; only a read-back shows it', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.corruptNextWrite({ address: SECTOR_9 + 0x101, xor: 0x00ff0000 })
    expect(await writeAt(device, SECTOR_9, pattern(4096))).toEqual(ok)
    const expected = [...pattern(4096)]
    expected[0x102] ^= 0xff
    expect(await readAt(device, SECTOR_9, 4096)).toEqual(expected)
  })

  it('corruptNextWrite waits for a write covering its address', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.corruptNextWrite({ address: SECTOR_9 + 0x1000 })
    await writeAt(device, SECTOR_9, pattern(4096))
    expect(emu.readFlash(SECTOR_9, 4096)).toEqual(pattern(4096))
    await writeAt(device, SECTOR_9 + 0x1000, pattern(8))
    expect(emu.readFlash(SECTOR_9 + 0x1000, 1)[0]).toBe(pattern(1)[0] ^ 0x01)
  })
})

describe('cable pulled mid-operation', () => {
  it('disconnectDuring("erase"): the GETSTATUS running the erase rejects, the sector is half erased, the board is gone until replugged', async () => {
    const { emu, device } = await dfuBoard()
    for (let block = 0; block < 32; block++) await writeAt(device, SECTOR_9 + block * 4096, new Uint8Array(4096))
    emu.faults.disconnectDuring('erase')
    await classOut(device, DNLOAD, 0, Uint8Array.of(0x41, 0x00, 0x00, 0x0a, 0x08))
    await expect(getStatus(device)).rejects.toThrow('device disconnected')
    expect(emu.device).toBeNull()
    expect(emu.plugged).toBe(false)
    expect(emu.readFlash(SECTOR_9, 0x10000).every((b) => b === 0xff)).toBe(true)
    expect(emu.readFlash(SECTOR_9 + 0x10000, 0x10000).every((b) => b === 0x00)).toBe(true)
    expect(emu.flashLog.at(-1)).toEqual({ op: 'erase', address: SECTOR_9, length: 0x20000, interrupted: true })
    emu.plugIn({ mode: 'dfu' })
    expect((await emu.nextDevice()).serialNumber).toBe(device.serialNumber)
  })

  it('disconnectDuring("write", { after: 2 }): two blocks are written, the third is torn (its first half programmed)', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.disconnectDuring('write', { after: 2 })
    expect(await writeAt(device, SECTOR_9, pattern(4096, 1))).toEqual(ok)
    expect(await writeAt(device, SECTOR_9 + 4096, pattern(4096, 2))).toEqual(ok)
    await setAddress(device, SECTOR_9 + 8192)
    await classOut(device, DNLOAD, 2, pattern(4096, 3))
    await expect(getStatus(device)).rejects.toThrow('device disconnected')
    expect(emu.readFlash(SECTOR_9 + 8192, 2048)).toEqual(pattern(4096, 3).subarray(0, 2048))
    expect(emu.readFlash(SECTOR_9 + 8192 + 2048, 2048).every((b) => b === 0xff)).toBe(true)
    expect(emu.flashLog.at(-1)).toEqual({ op: 'program', address: SECTOR_9 + 8192, length: 4096, interrupted: true })
  })

  it('disconnectDuring("upload", { after: 1 }): the second UPLOAD never completes', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.disconnectDuring('upload', { after: 1 })
    expect((await classIn(device, UPLOAD, 2, 4096)).status).toBe('ok')
    await expect(classIn(device, UPLOAD, 3, 4096)).rejects.toThrow('device disconnected')
    expect(emu.device).toBeNull()
  })
})

describe('left-over states from an interrupted session', () => {
  it('dfuState "dfuERROR": GETSTATUS reports status 0x0E in state 10 until a CLRSTATUS', async () => {
    const { device } = await dfuBoard({ dfuState: 'dfuERROR' })
    expect(await getStatus(device)).toEqual([0x0e, 0, 0, 0, STATE.dfuERROR, 0])
  })

  it('dfuState "dfuDNLOAD-IDLE": a new DNLOAD is accepted but UPLOAD stalls until ABORT', async () => {
    const { device } = await dfuBoard({ dfuState: 'dfuDNLOAD-IDLE' })
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuDNLOAD_IDLE, 0])
    expect((await classIn(device, UPLOAD, 2, 16)).status).toBe('stall')
  })

  it('dfuState "dfuUPLOAD-IDLE": DNLOAD stalls until ABORT', async () => {
    const { device } = await dfuBoard({ dfuState: 'dfuUPLOAD-IDLE' })
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuUPLOAD_IDLE, 0])
    expect(await download(device, 2, pattern(4))).toMatchObject({ dnload: 'stall' })
  })

  it('faults.setDfuState applies at once to a board in DFU mode, and at the next DFU boot to a board running firmware', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.setDfuState('dfuERROR')
    expect(await getState(device)).toBe(STATE.dfuERROR)
    const normal = new EmulatedElectron({ mode: 'firmware', dfuState: 'dfuUPLOAD-IDLE' })
    const next = normal.nextDevice()
    await expect(
      (await openDevice(normal.device)).controlTransferOut(
        { requestType: 'class', recipient: 'interface', request: 0x20, value: 0, index: 0 },
        Uint8Array.of(0x40, 0x38, 0, 0, 0, 0, 8),
      ),
    ).rejects.toThrow('device disconnected')
    expect(await getState(await openDevice(await next))).toBe(STATE.dfuUPLOAD_IDLE)
  })
})

describe('normal-mode faults', () => {
  it('vanishAfterDfuSwitch: the board resets for the DFU switch and never comes back until replugged', async () => {
    const emu = new EmulatedElectron({ mode: 'firmware' })
    emu.faults.vanishAfterDfuSwitch()
    const device = await openDevice(emu.device)
    const vendorIn = (request: number, index: number) =>
      device.controlTransferIn({ requestType: 'vendor', recipient: 'device', request, value: 0, index }, 64)
    const id = (await vendorIn(1, 50)).data!.getUint16(6, true)
    await vendorIn(2, id)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(emu.device).toBeNull()
    emu.unplug()
    emu.plugIn({ mode: 'dfu' })
    expect((await emu.nextDevice()).productId).toBe(0xd00a)
  })
})
