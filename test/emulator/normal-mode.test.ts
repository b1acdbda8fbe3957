// Checklist 13 and reference §5: the board running Device OS, and the two ways a host switches it into DFU mode.
import { describe, expect, it } from 'vitest'
import { EmulatedElectron } from '../../src/emulator/index.js'
import type { UsbDeviceLike } from '../../src/usb/types.js'
import { bytes, nextEvent, openDevice } from './helpers.js'

async function normalBoard() {
  const emu = new EmulatedElectron({ mode: 'normal' })
  return { emu, device: await openDevice(emu.device) }
}

const lineCoding = (baud: number) => Uint8Array.of(baud & 0xff, (baud >> 8) & 0xff, (baud >> 16) & 0xff, baud >>> 24, 0, 0, 8)
const setLineCoding = (device: UsbDeviceLike, iface: number, baud: number) =>
  device.controlTransferOut({ requestType: 'class', recipient: 'interface', request: 0x20, value: 0, index: iface }, lineCoding(baud))
const getLineCoding = async (device: UsbDeviceLike, iface: number) =>
  bytes((await device.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 0x21, value: 0, index: iface }, 7)).data)
const vendorIn = (device: UsbDeviceLike, request: number, index: number, value = 0) =>
  device.controlTransferIn({ requestType: 'vendor', recipient: 'device', request, value, index }, 64)

/** Particle control service reply: u32 flags, u16 status, then id (u16) and/or result (i32) as flagged. */
function serviceReply(view: DataView | undefined) {
  const flags = view!.getUint32(0, true)
  const reply: Record<string, number> = { flags, status: view!.getUint16(4, true) }
  let offset = 6
  if (flags & 2) {
    reply.id = view!.getUint16(offset, true)
    offset += 2
  }
  if (flags & 8) reply.result = view!.getInt32(offset, true)
  return reply
}

describe('normal mode (Device OS running)', () => {
  it('is a composite device 2b04:c00a "Electron" (EF/02/01): CDC on 0/1, vendor interface 2, CDC on 3/4, same serial as in DFU mode', async () => {
    const { emu, device } = await normalBoard()
    expect([device.vendorId, device.productId, device.productName, device.serialNumber]).toEqual([0x2b04, 0xc00a, 'Electron', emu.serialNumber])
    const d = emu.device!
    expect([d.deviceClass, d.deviceSubclass, d.deviceProtocol]).toEqual([0xef, 0x02, 0x01])
    const classes = device.configuration!.interfaces.map((i) => [i.interfaceNumber, i.alternate.interfaceClass, i.alternate.endpoints.length])
    expect(classes).toEqual([[0, 0x02, 1], [1, 0x0a, 2], [2, 0xff, 0], [3, 0x02, 1], [4, 0x0a, 2]])
  })

  it('DFU class requests stall (a run-time board is not a DFU device; dfu-util reads this as appIDLE)', async () => {
    const { device } = await normalBoard()
    const status = await device.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 3, value: 0, index: 0 }, 6)
    expect(status.status).toBe('stall')
  })

  it('SET_LINE_CODING at other rates is stored and acknowledged; GET_LINE_CODING returns it', async () => {
    const { device } = await normalBoard()
    expect(await getLineCoding(device, 0)).toEqual([...lineCoding(9600)])
    expect((await setLineCoding(device, 0, 115200)).status).toBe('ok')
    expect(await getLineCoding(device, 0)).toEqual([...lineCoding(115200)])
  })

  it('14400 baud on interface 0 resets into DFU mode at once: the transfer never completes, a DFU device with the same serial appears', async () => {
    const { emu, device } = await normalBoard()
    const next = emu.nextDevice()
    await expect(setLineCoding(device, 0, 14400)).rejects.toThrow('controlTransferOut error: device disconnected')
    const dfu = await next
    expect([dfu.productId, dfu.productName, dfu.serialNumber, emu.mode]).toEqual([0xd00a, 'Electron DFU Mode', device.serialNumber, 'dfu'])
  })

  it('14400 baud on interface 3 (USBSerial1) does not switch', async () => {
    const { emu, device } = await normalBoard()
    expect((await setLineCoding(device, 3, 14400)).status).toBe('ok')
    expect(emu.device).toBe(device)
  })

  it('control request 50: INIT answers OK with an id, CHECK answers OK with result 0, then the board resets into DFU mode', async () => {
    const { emu, device } = await normalBoard()
    const init = serviceReply((await vendorIn(device, 1, 50)).data)
    expect(init).toEqual({ flags: 0x03, status: 0, id: init.id })
    const gone = nextEvent(emu)
    const check = serviceReply((await vendorIn(device, 2, init.id)).data)
    expect(check).toEqual({ flags: 0x09, status: 0, result: 0 })
    expect(emu.device).toBe(device) // still answering until the 1 s delay runs out
    expect(await gone).toBeNull()
    const dfu = await emu.nextDevice()
    expect([dfu.productId, dfu.serialNumber]).toEqual([0xd00a, device.serialNumber])
  })

  it('CHECK of an unknown id answers NOT_FOUND (5); RESET cancels a pending request', async () => {
    const { emu, device } = await normalBoard()
    expect(serviceReply((await vendorIn(device, 2, 999)).data)).toEqual({ flags: 0x01, status: 5 })
    const { id } = serviceReply((await vendorIn(device, 1, 50)).data)
    expect(serviceReply((await vendorIn(device, 5, id)).data)).toEqual({ flags: 0x01, status: 0 })
    expect(serviceReply((await vendorIn(device, 2, id)).data)).toEqual({ flags: 0x01, status: 5 })
    expect(emu.device).toBe(device)
  })

  it('INIT of a control request other than 50 answers ERROR (other requests are not modelled)', async () => {
    const { device } = await normalBoard()
    expect(serviceReply((await vendorIn(device, 1, 60)).data)).toEqual({ flags: 0x01, status: 1 })
  })

  it('raw request 0x50 with wIndex 30 returns the system version, NUL-padded as Device OS sends it', async () => {
    const { device } = await normalBoard()
    expect(Buffer.from(bytes((await vendorIn(device, 0x50, 30)).data)).toString('latin1')).toBe('2.3.1\0\0')
    expect((await vendorIn(device, 0x50, 20)).status).toBe('stall')
  })

  it('other vendor requests stall', async () => {
    const { device } = await normalBoard()
    expect((await vendorIn(device, 0x99, 0)).status).toBe('stall')
    expect((await vendorIn(device, 0xee, 4)).status).toBe('stall')
  })

  it('Device OS before 0.8.0 has no control request channel: INIT stalls, so only 14400 baud switches it', async () => {
    const emu = new EmulatedElectron({ mode: 'normal', deviceOsVersion: '0.7.0' })
    const device = await openDevice(emu.device)
    expect((await vendorIn(device, 1, 50)).status).toBe('stall')
    expect(Buffer.from(bytes((await vendorIn(device, 0x50, 30)).data)).toString('latin1')).toBe('0.7.0\0\0')
  })
})
