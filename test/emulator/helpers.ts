// Raw DFU transfers as a host sends them (class requests to interface 0), for the emulator's specification tests.
import { EmulatedElectron, type EmulatedElectronOptions, type EmulatedUsbDevice } from '../../src/emulator/index.js'
import type { UsbDeviceLike } from '../../src/usb/types.js'

export const DNLOAD = 1
export const UPLOAD = 2
export const GETSTATUS = 3
export const CLRSTATUS = 4
export const GETSTATE = 5
export const ABORT = 6

export const STATE = {
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
}

export const SECTOR_9 = 0x080a0000

/** An opened device with interface 0 claimed, as a DfuSe host leaves it. */
export async function openDevice(device: UsbDeviceLike | null): Promise<UsbDeviceLike> {
  if (!device) throw new Error('the board has no device')
  await device.open()
  await device.claimInterface(0)
  return device
}

export async function dfuBoard(
  options: EmulatedElectronOptions = {},
): Promise<{ emu: EmulatedElectron; device: UsbDeviceLike }> {
  const emu = new EmulatedElectron(options)
  return { emu, device: await openDevice(emu.device) }
}

export function classIn(device: UsbDeviceLike, request: number, value: number, length: number, timeoutMs?: number) {
  return device.controlTransferIn(
    { requestType: 'class', recipient: 'interface', request, value, index: 0 },
    length,
    timeoutMs,
  )
}

export function classOut(device: UsbDeviceLike, request: number, value: number, data?: Uint8Array<ArrayBuffer>) {
  return device.controlTransferOut({ requestType: 'class', recipient: 'interface', request, value, index: 0 }, data)
}

export function bytes(view: DataView | undefined): number[] {
  return view ? [...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)] : []
}

/** GETSTATUS as [bStatus, poll0, poll1, poll2, bState, iString], or 'stall'. */
export async function getStatus(device: UsbDeviceLike): Promise<number[] | 'stall'> {
  const result = await classIn(device, GETSTATUS, 0, 6)
  if (result.status === 'babble') throw new Error('GETSTATUS babbled')
  return result.status === 'ok' ? bytes(result.data) : result.status
}

export async function getState(device: UsbDeviceLike): Promise<number> {
  return bytes((await classIn(device, GETSTATE, 0, 1)).data)[0]
}

/** A DfuSe command on block 0: the command byte and, if given, a little-endian address. */
export function command(code: number, address?: number): Uint8Array<ArrayBuffer> {
  if (address === undefined) return Uint8Array.of(code)
  return Uint8Array.of(code, address & 0xff, (address >>> 8) & 0xff, (address >>> 16) & 0xff, (address >>> 24) & 0xff)
}

/**
 * DNLOAD, then GETSTATUS twice as every DfuSe host does: returns the two
 * answers (the first runs the command or write, the second reports the outcome state).
 */
export async function download(
  device: UsbDeviceLike,
  block: number,
  data: Uint8Array<ArrayBuffer>,
): Promise<{ dnload: string; first: number[] | 'stall'; second: number[] | 'stall' }> {
  const dnload = (await classOut(device, DNLOAD, block, data)).status
  const first = await getStatus(device)
  const second = await getStatus(device)
  return { dnload, first, second }
}

export const setAddress = (device: UsbDeviceLike, address: number) => download(device, 0, command(0x21, address))
export const erase = (device: UsbDeviceLike, address: number) => download(device, 0, command(0x41, address))

/** SET_ADDRESS + block 2, the way dfu-util writes every chunk. */
export async function writeAt(device: UsbDeviceLike, address: number, data: Uint8Array<ArrayBuffer>) {
  await setAddress(device, address)
  return download(device, 2, data)
}

/** SET_ADDRESS, ABORT, then UPLOAD block 2: `length` bytes at `address`. */
export async function readAt(device: UsbDeviceLike, address: number, length: number): Promise<number[]> {
  await setAddress(device, address)
  await classOut(device, ABORT, 0)
  const result = await classIn(device, UPLOAD, 2, length)
  await classOut(device, ABORT, 0)
  return bytes(result.data)
}

export function pattern(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed * 13) & 0xff)
}

export function nextEvent(emu: EmulatedElectron): Promise<EmulatedUsbDevice | null> {
  return new Promise((resolve) => {
    const off = emu.onDeviceChange((device) => {
      off()
      resolve(device)
    })
  })
}

/** Byte-array equality for large buffers (a deep toEqual over a megabyte is far too slow). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}
