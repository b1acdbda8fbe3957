import { isFlashdataError, type FlashdataError } from '../errors.js'
import type { UsbDeviceLike } from '../usb/types.js'
import { identify, type BoardMode, type ParticlePlatform } from './platforms.js'
import { serialLabel, serialRefusal, shownSerial, toBoardSerial, type BoardSerial } from './serial.js'

/** A board on the bus, as `devices` lists it and selection matches it. */
export interface BoardInfo {
  serial: BoardSerial
  platform: string
  label: string
  mode: BoardMode
  vendorId: number
  productId: number
  /** USB bus path ("1-1.4") where the transport knows it. */
  path?: string
}

export interface Board {
  info: BoardInfo
  platform: ParticlePlatform
  device: UsbDeviceLike
}

/** A Particle board whose USB serial is refused (serial.ts): listed, never opened, asked or written. */
export interface RefusedBoard {
  /** `serial` as shownSerial escapes it. */
  info: Omit<BoardInfo, 'serial'> & { serial: string }
  /** DEVICE_SERIAL_INVALID, naming the board. */
  error: FlashdataError
  device: UsbDeviceLike
}

/** A device id: the MCU's 12-byte unique id as 24 lowercase hex digits. */
export const DEVICE_ID = /^[0-9a-f]{24}$/

/** Serials compare in lowercase: Device OS reports them so, users type either. For what a user types; a device's serial is checked by toBoardSerial. */
export function normalizeSerial(serial: string | null | undefined): string {
  return (serial ?? '').toLowerCase()
}

function busPath(device: UsbDeviceLike): string | undefined {
  if (device.bus === undefined) return undefined
  return device.ports?.length ? `${device.bus}-${device.ports.join('.')}` : device.bus
}

/** A device's serial as it reports it; null for a device that left the bus while it was being listed. */
function readSerial(device: UsbDeviceLike): string | null {
  try {
    return device.serialNumber ?? ''
  } catch (error) {
    if (isFlashdataError(error, 'DISCONNECTED')) return null
    throw error
  }
}

/** The name a device goes by in a station's bookkeeping: its serial, or a refused one as shown (never equal to a valid serial). */
export function boardKey(device: UsbDeviceLike): string {
  return serialLabel(readSerial(device))
}

/**
 * The Particle boards among a bus's devices, and those refused for their
 * serial; everything else is ignored, and so is a board leaving the bus.
 */
export function surveyBoards(devices: UsbDeviceLike[]): { boards: Board[]; refused: RefusedBoard[] } {
  const boards: Board[] = []
  const refused: RefusedBoard[] = []
  for (const device of devices) {
    const id = identify(device.vendorId, device.productId)
    if (!id) continue
    const raw = readSerial(device)
    if (raw === null) continue
    const facts = {
      platform: id.platform.name,
      label: id.platform.label,
      mode: id.mode,
      vendorId: device.vendorId,
      productId: device.productId,
      path: busPath(device),
    }
    const serial = toBoardSerial(raw)
    if (serial) boards.push({ device, platform: id.platform, info: { serial, ...facts } })
    else {
      const info = { serial: shownSerial(raw), ...facts }
      refused.push({ device, info, error: serialRefusal(raw, { board: info }) })
    }
  }
  return { boards, refused }
}

/** The Particle boards among a bus's devices whose serial is accepted (see surveyBoards). */
export function describeBoards(devices: UsbDeviceLike[]): Board[] {
  return surveyBoards(devices).boards
}
