/**
 * Particle's USB control requests to a board running Device OS (vendor
 * requests to the device, as Device OS's usb_control_request_channel.cpp
 * answers them): the INIT/CHECK/RECV service requests (Device OS 0.8.0+)
 * and the raw bRequest 0x50 requests every version answers.
 */
import { usbError } from '../dfu/transport.js'
import { FIRMWARE_CHECK_BACKOFF_MS, FIRMWARE_REQUEST_MS } from '../timeouts.js'
import type { UsbDeviceLike } from '../usb/types.js'
import { sleep } from './wait.js'

export const CTRL_REQUEST = { DEVICE_ID: 20, SYSTEM_VERSION: 30, RESET: 40, DFU_MODE: 50, GET_DEVICE_MODE: 72 } as const
/** system_error_t NOT_SUPPORTED: the board does not handle that request type. */
export const RESULT_NOT_SUPPORTED = -120

const SERVICE = { INIT: 1, CHECK: 2, RECV: 4 } as const
const STATUS = { OK: 0, PENDING: 2, BUSY: 3 } as const
const FLAG = { ID: 0x02, SIZE: 0x04, RESULT: 0x08 } as const
const RAW_REQUEST = 0x50
/** Service requests need a data stage of at least 64 bytes. */
const SERVICE_WLENGTH = 64

interface ServiceReply {
  status: number
  id?: number
  size?: number
  result?: number
}

function parseReply(data: DataView | undefined): ServiceReply | undefined {
  if (!data || data.byteLength < 6) return undefined
  const flags = data.getUint32(0, true)
  const reply: ServiceReply = { status: data.getUint16(4, true) }
  let offset = 6
  const field = (flag: number, size: 2 | 4, read: (at: number) => number) => {
    if (!(flags & flag) || offset + size > data.byteLength) return undefined
    const value = read(offset)
    offset += size
    return value
  }
  reply.id = field(FLAG.ID, 2, (at) => data.getUint16(at, true))
  reply.size = field(FLAG.SIZE, 4, (at) => data.getUint32(at, true))
  reply.result = field(FLAG.RESULT, 4, (at) => data.getInt32(at, true))
  return reply
}

async function vendorIn(
  device: UsbDeviceLike,
  request: number,
  index: number,
  length: number,
): Promise<DataView | undefined> {
  const result = await device.controlTransferIn(
    { requestType: 'vendor', recipient: 'device', request, value: 0, index },
    length,
    FIRMWARE_REQUEST_MS,
  )
  return result.status === 'ok' ? result.data : undefined
}

export interface ControlReply {
  /** Device OS's result code: 0 done, negative a system error (-120 not supported). */
  result: number
  data: Uint8Array
}

/**
 * Sends control request `type` without payload and waits for its result and
 * reply data. Undefined when the board has no control request channel (INIT
 * stalls or is refused, as on Device OS before 0.8.0). Transfer errors are
 * thrown (a board that resets while answering fails its transfer).
 */
export async function sendControlRequest(device: UsbDeviceLike, type: number): Promise<ControlReply | undefined> {
  const init = parseReply(await vendorIn(device, SERVICE.INIT, type, SERVICE_WLENGTH))
  if (!init || init.id === undefined || (init.status !== STATUS.OK && init.status !== STATUS.PENDING)) return undefined
  for (const delay of [0, ...FIRMWARE_CHECK_BACKOFF_MS]) {
    if (delay) await sleep(delay)
    const check = parseReply(await vendorIn(device, SERVICE.CHECK, init.id, SERVICE_WLENGTH))
    if (!check) return undefined
    if (check.status === STATUS.PENDING || check.status === STATUS.BUSY) continue
    if (check.status !== STATUS.OK) return undefined
    if (!check.size) return { result: check.result ?? 0, data: new Uint8Array(0) }
    const data = await vendorIn(device, SERVICE.RECV, init.id, check.size)
    if (!data) return undefined
    return { result: check.result ?? 0, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
  }
  return undefined
}

/** A raw 0x50 IN request: Device OS's version (30) or device id (20) as text, NULs dropped (older versions add them). */
export async function rawRequestText(
  device: UsbDeviceLike,
  type: typeof CTRL_REQUEST.DEVICE_ID | typeof CTRL_REQUEST.SYSTEM_VERSION,
): Promise<string | undefined> {
  const data = await vendorIn(device, RAW_REQUEST, type, 64).catch(() => undefined)
  if (!data) return undefined
  const text = String.fromCharCode(...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).replace(/\0+$/, '')
  return /^[\x20-\x7e]+$/.test(text) ? text : undefined
}

/** Field 1 of a protobuf reply as a varint (0 when absent, proto3's default). */
export function protoField1Varint(data: Uint8Array): number {
  if (data[0] !== 0x08) return 0
  let value = 0
  for (let i = 1, shift = 0; i < data.length && shift < 35; i++, shift += 7) {
    value += (data[i] & 0x7f) * 2 ** shift
    if (!(data[i] & 0x80)) break
  }
  return value
}

/** Field 1 of a protobuf reply as a string (empty when absent, proto3's default). */
export function protoField1String(data: Uint8Array): string {
  if (data[0] !== 0x0a) return ''
  let length = 0
  let at = 1
  for (let shift = 0; at < data.length && shift < 35; shift += 7) {
    const byte = data[at++]
    length += (byte & 0x7f) * 2 ** shift
    if (!(byte & 0x80)) break
  }
  return new TextDecoder().decode(data.subarray(at, at + length))
}

/**
 * Control transfers go through a claimed interface on some stacks (the `usb`
 * package's among them). The CDC interface may be held by the OS's serial
 * driver: detach it where the transport can.
 */
export async function claim(device: UsbDeviceLike, interfaceNumber: number): Promise<void> {
  const detach = (device as { detachKernelDriver?: (n: number) => Promise<void> }).detachKernelDriver
  await detach?.call(device, interfaceNumber).catch(() => {})
  await device.claimInterface(interfaceNumber).catch((error: unknown) => {
    // Another process holding the board is an answer; anything else, the control request may still get through.
    const mapped = usbError(error, 'claim interface')
    if (mapped.code === 'BUSY' || mapped.code === 'EMULATOR_READ_ONLY') throw mapped
  })
}

/** Opens a board running Device OS for control requests: its vendor-specific interface claimed. */
export async function openForControl(device: UsbDeviceLike): Promise<void> {
  if (!device.opened)
    await device.open().catch((error: unknown) => {
      throw usbError(error, 'open')
    })
  const vendor = device.configuration?.interfaces.find((i) => i.alternate.interfaceClass === 0xff)
  await claim(device, vendor?.interfaceNumber ?? 2)
}
