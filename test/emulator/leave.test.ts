// docs/electron-bootloader.md#leaving-dfu-mode: leaving DFU mode (zero-length DNLOAD), the reset that
// follows and what comes back.
import { describe, expect, it } from 'vitest'
import { EmulatedUsb } from '../../src/emulator/index.js'
import {
  DNLOAD,
  STATE,
  UPLOAD,
  classIn,
  classOut,
  dfuBoard,
  getState,
  getStatus,
  nextEvent,
  setAddress,
  SECTOR_9,
} from './helpers.js'

describe('leave', () => {
  it('a zero-length DNLOAD moves to dfuMANIFEST-SYNC; the next GETSTATUS reports 5 while the bootloader is in 7, then 8', async () => {
    const { device } = await dfuBoard()
    expect((await classOut(device, DNLOAD, 2)).status).toBe('ok')
    expect(await getState(device)).toBe(STATE.dfuMANIFEST_SYNC)
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuDNLOAD_IDLE, 0])
    expect(await getState(device)).toBe(STATE.dfuMANIFEST_WAIT_RESET)
  })

  it('then the board resets: the device goes away, transfers reject, and a new device object with the same serial appears', async () => {
    const { emu, device } = await dfuBoard()
    await setAddress(device, SECTOR_9) // the pointer does not matter: leave always resets
    await classOut(device, DNLOAD, 2)
    await getStatus(device)
    expect(await nextEvent(emu)).toBeNull()
    await expect(getStatus(device)).rejects.toMatchObject({ kind: 'disconnected' })
    const next = await emu.nextDevice()
    expect(next).not.toBe(device)
    expect(next.serialNumber).toBe(device.serialNumber)
  })

  it('comes back running the firmware (2b04:c00a, firmware mode) when the module at 0x08020000 looks valid', async () => {
    const { emu, device } = await dfuBoard()
    await classOut(device, DNLOAD, 0)
    await getStatus(device)
    const next = await emu.nextDevice()
    expect([next.productId, next.productName, emu.mode]).toEqual([0xc00a, 'Electron', 'firmware'])
  })

  it('on a bus: disconnect of the old device, then connect of the new one', async () => {
    const { emu, device } = await dfuBoard()
    const bus = new EmulatedUsb()
    bus.attach(emu)
    const events: string[] = []
    bus.addEventListener('disconnect', (e) => events.push(`disconnect ${e.device === device ? 'old' : 'other'}`))
    const connected = new Promise((resolve) =>
      bus.addEventListener('connect', (e) => resolve(events.push(`connect ${e.device === device ? 'old' : 'new'}`))),
    )
    await classOut(device, DNLOAD, 2)
    await getStatus(device)
    await connected
    expect(events).toEqual(['disconnect old', 'connect new'])
    expect((await bus.getDevices()).map((d) => d.serialNumber)).toEqual([device.serialNumber])
  })

  it('a zero-length DNLOAD outside dfuIDLE and dfuDNLOAD-IDLE stalls (no leave from dfuUPLOAD-IDLE)', async () => {
    const { device } = await dfuBoard()
    await classIn(device, UPLOAD, 2, 16)
    expect((await classOut(device, DNLOAD, 2)).status).toBe('stall')
    expect(await getState(device)).toBe(STATE.dfuUPLOAD_IDLE)
  })
})
