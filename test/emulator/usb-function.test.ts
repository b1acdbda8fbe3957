// The raw USB layer (setup packets in, answers out) that the USBDevice adapter and a USB gadget bridge both drive.
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, UsbFunctionGoneError, type SetupPacket } from '../../src/emulator/index.js'
import { SECTOR_9 } from './helpers.js'

const GETSTATUS: SetupPacket = { bmRequestType: 0xa1, bRequest: 3, wValue: 0, wIndex: 0, wLength: 6 }
const GETSTATE: SetupPacket = { bmRequestType: 0xa1, bRequest: 5, wValue: 0, wIndex: 0, wLength: 1 }
const dnload = (block: number, length: number): SetupPacket => ({
  bmRequestType: 0x21,
  bRequest: 1,
  wValue: block,
  wIndex: 0,
  wLength: length,
})

function rawBoard() {
  const emu = new EmulatedElectron()
  return { emu, usb: emu.usbFunction! }
}

describe('ElectronUsbFunction (raw setup packets)', () => {
  it('exposes the raw descriptors a gadget bridge serves: device, full configuration, strings', () => {
    const { emu, usb } = rawBoard()
    expect([...usb.deviceDescriptor]).toEqual([
      0x12, 0x01, 0x00, 0x02, 0, 0, 0, 0x40, 0x04, 0x2b, 0x0a, 0xd0, 0x50, 0x02, 1, 2, 3, 1,
    ])
    expect(usb.configurationDescriptor).toHaveLength(36)
    expect(usb.descriptors.strings.get(3)).toBe(emu.serialNumber)
    expect([...usb.descriptor(3, 0)!]).toEqual([4, 3, 0x09, 0x04])
  })

  it('IN requests resolve with the data, truncated to wLength; OUT requests with an empty acknowledgement; refusals with a stall', async () => {
    const { usb } = rawBoard()
    expect(await usb.handleSetup(GETSTATUS)).toEqual({ status: 'ok', data: Uint8Array.of(0, 0, 0, 0, 2, 0) })
    expect(await usb.handleSetup({ ...GETSTATUS, wLength: 2 })).toEqual({ status: 'ok', data: Uint8Array.of(0, 0) })
    expect(await usb.handleSetup(dnload(2, 4), Uint8Array.of(1, 2, 3, 4))).toEqual({
      status: 'ok',
      data: new Uint8Array(0),
    })
    expect(await usb.handleSetup(dnload(2, 4), Uint8Array.of(1, 2, 3, 4))).toEqual({ status: 'stall' })
  })

  it('answers the standard requests a host controller sends during enumeration (SET_ADDRESS, GET_STATUS, GET_CONFIGURATION)', async () => {
    const { usb } = rawBoard()
    expect((await usb.handleSetup({ bmRequestType: 0x00, bRequest: 5, wValue: 7, wIndex: 0, wLength: 0 })).status).toBe(
      'ok',
    )
    expect(await usb.handleSetup({ bmRequestType: 0x80, bRequest: 0, wValue: 0, wIndex: 0, wLength: 2 })).toEqual({
      status: 'ok',
      data: Uint8Array.of(1, 0),
    })
    expect(await usb.handleSetup({ bmRequestType: 0x80, bRequest: 8, wValue: 0, wIndex: 0, wLength: 1 })).toEqual({
      status: 'ok',
      data: Uint8Array.of(1),
    })
  })

  it('stalls requests of the reserved type (bmRequestType bits 6-5 = 3), even when shaped like a DFU request', async () => {
    const { usb } = rawBoard()
    expect(await usb.handleSetup({ ...GETSTATUS, bmRequestType: 0xe1 })).toEqual({ status: 'stall' })
  })

  it('handles requests one at a time in arrival order, like EP0 in the interrupt handler', async () => {
    const { usb } = rawBoard()
    const erase = Uint8Array.of(0x41, 0x00, 0x00, 0x0a, 0x08)
    const answers = await Promise.all([
      usb.handleSetup(dnload(0, 5), erase),
      usb.handleSetup(GETSTATUS),
      usb.handleSetup(GETSTATUS),
      usb.handleSetup(GETSTATE),
    ])
    expect(answers.map((a) => (a.status === 'ok' ? [...a.data] : a.status))).toEqual([
      [],
      [0, 0, 0, 0, 4, 0],
      [0, 0, 0, 0, 5, 0],
      [5],
    ])
  })

  it('rejects with UsbFunctionGoneError once the board is gone, including a request left unanswered', async () => {
    const { emu, usb } = rawBoard()
    emu.faults.neverAnswer({ request: 3 })
    const unanswered = usb.handleSetup(GETSTATUS)
    emu.unplug()
    await expect(unanswered).rejects.toBeInstanceOf(UsbFunctionGoneError)
    await expect(usb.handleSetup(GETSTATE)).rejects.toThrow('device disconnected')
    expect(usb.ended).toBe(true)
    expect(emu.usbFunction).toBeNull()
  })
})

describe('test hooks', () => {
  it('observeCreated reports every board created until unsubscribed', () => {
    const seen: EmulatedElectron[] = []
    const stop = EmulatedElectron.observeCreated((board) => seen.push(board))
    const board = new EmulatedElectron()
    stop()
    new EmulatedElectron()
    expect(seen).toEqual([board])
  })

  it('flashLog lists erases and programs in order with absolute addresses', async () => {
    const { emu, usb } = rawBoard()
    await usb.handleSetup(dnload(0, 5), Uint8Array.of(0x41, 0x00, 0x00, 0x0a, 0x08))
    await usb.handleSetup(GETSTATUS)
    await usb.handleSetup(GETSTATUS)
    await usb.handleSetup(dnload(3, 6), Uint8Array.of(1, 2, 3, 4, 5, 6))
    await usb.handleSetup(GETSTATUS)
    expect(emu.flashLog).toEqual([
      { op: 'erase', address: SECTOR_9, length: 0x20000 },
      { op: 'program', address: SECTOR_9 + 4096, length: 8 },
    ])
  })
})
