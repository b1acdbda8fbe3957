import { isFlashdataError } from '../errors.js'
import type { UsbDeviceLike } from '../usb/types.js'
import { identify, type BoardMode, type ParticlePlatform } from './platforms.js'

/** A board on the bus, as `devices` lists it and selection matches it. */
export interface BoardInfo {
  serial: string
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

/** A device id: the MCU's 12-byte unique id as 24 lowercase hex digits. */
export const DEVICE_ID = /^[0-9a-f]{24}$/

/** Serials compare in lowercase: Device OS reports them so, users type either. */
export function normalizeSerial(serial: string | null | undefined): string {
  return (serial ?? '').toLowerCase()
}

function busPath(device: UsbDeviceLike): string | undefined {
  if (device.bus === undefined) return undefined
  return device.ports?.length ? `${device.bus}-${device.ports.join('.')}` : device.bus
}

/** A device's serial; null for a device that left the bus while it was being listed. */
function readSerial(device: UsbDeviceLike): string | null {
  try {
    return normalizeSerial(device.serialNumber)
  } catch (error) {
    if (isFlashdataError(error, 'DISCONNECTED')) return null
    throw error
  }
}

/** The Particle boards among a bus's devices; everything else is ignored, and so is a board leaving the bus. */
export function describeBoards(devices: UsbDeviceLike[]): Board[] {
  const boards: Board[] = []
  for (const device of devices) {
    const id = identify(device.vendorId, device.productId)
    if (!id) continue
    const serial = readSerial(device)
    if (serial === null) continue
    boards.push({
      device,
      platform: id.platform,
      info: {
        serial,
        platform: id.platform.name,
        label: id.platform.label,
        mode: id.mode,
        vendorId: device.vendorId,
        productId: device.productId,
        path: busPath(device),
      },
    })
  }
  return boards
}
