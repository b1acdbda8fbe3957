/**
 * Getting a DFU interface ready: open the device, configure it, claim the
 * interface, select the alternate setting and read what the DfuSe host needs
 * (functional descriptor, memory layout). Undone on failure.
 */
import type { UsbDeviceLike } from '../usb/types.js'
import { checkAlternate, readDfuTarget, type DfuTarget } from './descriptors.js'
import { DfuTransport } from './transport.js'

export interface DfuConnection extends DfuTarget {
  usb: DfuTransport
  /** Whether the device was opened here, so closing it on failure is ours to do. */
  openedHere: boolean
}

export async function connectDfu(
  device: UsbDeviceLike,
  interfaceNumber: number,
  alt: number,
  timeoutMs: number,
): Promise<DfuConnection> {
  const usb = new DfuTransport(device, interfaceNumber, timeoutMs)
  const openedHere = !device.opened
  if (openedHere) await usb.call('open', () => device.open())
  try {
    if (!device.configuration) await usb.call('select configuration', () => device.selectConfiguration(1))
    checkAlternate(device, interfaceNumber, alt)
    await usb.call('claim interface', () => device.claimInterface(interfaceNumber))
    await usb.call('select alternate setting', () => device.selectAlternateInterface(interfaceNumber, alt))
    return { usb, openedHere, ...(await readDfuTarget(usb, alt)) }
  } catch (error) {
    await disconnectDfu(device, interfaceNumber, openedHere)
    throw error
  }
}

/** Releases the interface and (if asked) closes the device; a device already gone is not an error. */
export async function disconnectDfu(device: UsbDeviceLike, interfaceNumber: number, close: boolean): Promise<void> {
  await device.releaseInterface(interfaceNumber).catch(() => {})
  if (close && device.opened) await device.close().catch(() => {})
}
