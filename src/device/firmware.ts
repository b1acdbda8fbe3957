/**
 * What a board running Device OS reports about itself, and its reset, over
 * Particle's control requests (control.ts).
 */
import { FlashdataError } from '../errors.js'
import type { UsbDeviceLike } from '../usb/types.js'
import { DEVICE_ID, type Board } from './board.js'
import {
  CTRL_REQUEST,
  openForControl,
  protoField1String,
  protoField1Varint,
  rawRequestText,
  RESULT_NOT_SUPPORTED,
  sendControlRequest,
} from './control.js'

/** DeviceMode in Device OS's control/config.proto (events.schema.json lists the same). */
export const DEVICE_MODES = ['normal', 'listening'] as const
export type DeviceOsMode = (typeof DEVICE_MODES)[number]

export interface FirmwareInfo {
  /** The Device OS version, e.g. "2.3.1". */
  deviceOs?: string
  /** Normal operation or listening mode (Device OS 0.8.0 and later report it). */
  deviceOsMode?: DeviceOsMode
  /** The 24-hex-digit device id the firmware reports (lower case). */
  deviceId?: string
  /** Why the firmware could not be asked (another process has the board, a read-only emulator flash file). */
  notAsked?: { code: string; message: string }
}

/** Asks a board in firmware mode for its Device OS version, mode and device id; what it does not answer is left out. */
export async function readFirmwareInfo(board: Board): Promise<FirmwareInfo> {
  if (board.info.mode !== 'firmware') return {}
  const device = board.device
  const info: FirmwareInfo = {}
  try {
    await openForControl(device)
    info.deviceOs = await rawRequestText(device, CTRL_REQUEST.SYSTEM_VERSION)
    info.deviceId = await requestDeviceId(device)
    const mode = await sendControlRequest(device, CTRL_REQUEST.GET_DEVICE_MODE).catch(() => undefined)
    if (mode?.result === 0) info.deviceOsMode = DEVICE_MODES[protoField1Varint(mode.data)]
  } catch (error) {
    // A board that cannot be opened (busy, resetting) is listed without these details, and why.
    const known = error instanceof FlashdataError ? error : undefined
    info.notAsked = { code: known?.code ?? 'USB_TRANSFER', message: known?.message ?? String(error) }
  } finally {
    await device.close().catch(() => {})
  }
  return Object.fromEntries(Object.entries(info).filter(([, value]) => value !== undefined))
}

/**
 * The device id a board running Device OS reports, opened for control:
 * request 20 (Device OS 0.8.0 and later), else the raw 0x50 request that
 * every version answers. Undefined when it answers neither with an id.
 */
export async function requestDeviceId(device: UsbDeviceLike): Promise<string | undefined> {
  const reply = await sendControlRequest(device, CTRL_REQUEST.DEVICE_ID).catch(() => undefined)
  const text =
    reply?.result === 0 ? protoField1String(reply.data) : await rawRequestText(device, CTRL_REQUEST.DEVICE_ID)
  const id = text?.slice(0, 24).toLowerCase()
  return id && DEVICE_ID.test(id) ? id : undefined
}

/**
 * Resets a board running Device OS with control request 40: done when the
 * board has accepted it (it restarts 1 s later, as after leaving DFU mode).
 */
export async function resetFirmware(board: Board): Promise<void> {
  const device = board.device
  try {
    await openForControl(device)
    const reply = await sendControlRequest(device, CTRL_REQUEST.RESET)
    if (reply?.result === 0) return
    const why =
      reply === undefined
        ? 'it has no control request channel (Device OS before 0.8.0)'
        : reply.result === RESULT_NOT_SUPPORTED
          ? 'it does not support the reset request'
          : `it answered error ${reply.result}`
    throw new FlashdataError('RESET_REFUSED', `The board ${board.info.serial} refused the reset request: ${why}.`, {
      details: { serial: board.info.serial, result: reply?.result },
    })
  } finally {
    await device.close().catch(() => {})
  }
}
