// The emulated bus: boards come and go as on a real USB bus, shaped like the `usb` package's WebUSB object.
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, EmulatedUsb, type EmulatedUsbDevice } from '../../src/emulator/index.js'
import type { UsbConnectionEvent } from '../../src/usb/types.js'
import { DNLOAD, classOut, getStatus, openDevice } from './helpers.js'

function record(bus: EmulatedUsb) {
  const events: [string, EmulatedUsbDevice][] = []
  const listener = (type: string) => (event: UsbConnectionEvent) =>
    events.push([type, event.device as EmulatedUsbDevice])
  bus.addEventListener('connect', listener('connect'))
  bus.addEventListener('disconnect', listener('disconnect'))
  return events
}

describe('EmulatedUsb', () => {
  it('holds any number of boards; getDevices lists their current devices', async () => {
    const bus = new EmulatedUsb()
    const boards = [new EmulatedElectron(), new EmulatedElectron({ mode: 'firmware' }), new EmulatedElectron()]
    for (const board of boards) bus.attach(board)
    const devices = await bus.getDevices()
    expect(devices).toEqual(boards.map((b) => b.device))
    expect(devices.map((d) => d.productId)).toEqual([0xd00a, 0xc00a, 0xd00a])
    expect(new Set(devices.map((d) => d.serialNumber)).size).toBe(3)
  })

  it('attach plugs a board in: a connect event carries its device', () => {
    const bus = new EmulatedUsb()
    const events = record(bus)
    const board = new EmulatedElectron()
    bus.attach(board)
    expect(events).toEqual([['connect', board.device]])
  })

  it('detach pulls the cable: a disconnect event, the device rejects in-flight and later transfers', async () => {
    const bus = new EmulatedUsb()
    const events = record(bus)
    const board = new EmulatedElectron({ timing: { ...slowErase } })
    bus.attach(board)
    const device = await openDevice(board.device)
    await classOut(device, DNLOAD, 0, Uint8Array.of(0x41, 0x00, 0x00, 0x0a, 0x08))
    const erasing = getStatus(device) // the erase runs inside this transfer
    setTimeout(() => bus.detach(board), 5)
    await expect(erasing).rejects.toThrow('device disconnected')
    await expect(getStatus(device)).rejects.toThrow('device disconnected')
    expect(events.map(([type]) => type)).toEqual(['connect', 'disconnect'])
    expect(await bus.getDevices()).toEqual([])
    expect(board.flashLog.at(-1)).toMatchObject({ op: 'erase', interrupted: true })
  })

  it('a board re-attached after detach powers up again as a new device (firmware mode: its firmware is valid)', async () => {
    const bus = new EmulatedUsb()
    const board = new EmulatedElectron()
    bus.attach(board)
    const first = board.device
    bus.detach(board)
    const events = record(bus)
    bus.attach(board)
    const second = await board.nextDevice()
    expect(second).not.toBe(first)
    expect(second.productId).toBe(0xc00a)
    expect(events).toEqual([['connect', second]])
  })

  it('plugIn({ mode: "dfu" }) powers up in DFU mode, as if MODE were held', async () => {
    const board = new EmulatedElectron()
    board.unplug()
    board.plugIn({ mode: 'dfu' })
    expect((await board.nextDevice()).productId).toBe(0xd00a)
  })

  it('removeEventListener stops the events', () => {
    const bus = new EmulatedUsb()
    const seen: unknown[] = []
    const listener = (event: UsbConnectionEvent) => seen.push(event)
    bus.addEventListener('connect', listener)
    bus.removeEventListener('connect', listener)
    bus.attach(new EmulatedElectron())
    expect(seen).toEqual([])
  })

  it('a board is on one bus at a time', () => {
    const board = new EmulatedElectron()
    new EmulatedUsb().attach(board)
    expect(() => new EmulatedUsb().attach(board)).toThrow('another bus')
  })
})

const slowErase = {
  erase16kMs: 0,
  erase64kMs: 0,
  erase128kMs: 200,
  wordProgramUs: 0,
  usbTransferOverheadUs: 0,
  usbPacketUs: 0,
  leaveResetMs: 0,
  controlResetMs: 0,
  lineCodingSwitchMs: 0,
  reEnumerationMs: 0,
  detachMsPerUnit: 0,
}
