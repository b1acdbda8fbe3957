/**
 * The last line of defence before any USB traffic: erase and write only
 * inside the caller's allowed range, inside erasable/writable segments of the
 * layout, and never below 0x08020000 on alt 0 unless the range says so.
 */
import { FlashdataError } from '../errors.js'
import { hex32 } from '../text.js'
import type { UsbDeviceLike } from '../usb/types.js'
import {
  describeRange,
  ELECTRON_PROTECTED_END,
  findPage,
  pagesInRange,
  type MemoryLayout,
  type MemoryPage,
} from './layout.js'

export interface AddressRange {
  start: number
  /** Exclusive. */
  end: number
}

export interface GuardedTarget {
  alt: number
  layout: MemoryLayout
  allowedRange?: AddressRange
}

/** Particle Gen 2 DFU bootloaders (Photon, P1, Electron/E-Series) share the protected area and the 4096-byte stride. */
const PARTICLE_VENDOR = 0x2b04
const PARTICLE_GEN2_DFU_PRODUCTS = [0xd006, 0xd008, 0xd00a]

export function isParticleGen2Dfu(device: Pick<UsbDeviceLike, 'vendorId' | 'productId'>): boolean {
  return device.vendorId === PARTICLE_VENDOR && PARTICLE_GEN2_DFU_PRODUCTS.includes(device.productId)
}

/** One erase, write or read a job means to do, over [start, end). */
export interface PlannedOperation {
  op: 'erase' | 'write' | 'read'
  start: number
  /** Exclusive. */
  end: number
}

function refuse(operation: string, start: number, end: number, reason: string): never {
  throw new FlashdataError('ADDRESS_REFUSED', `Refusing to ${operation} ${describeRange(start, end)}: ${reason}`, {
    details: { operation, start, end },
  })
}

function checkBounds(operation: string, start: number, length: number): void {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(length) ||
    start < 0 ||
    length < 0 ||
    start + length > 2 ** 32
  ) {
    refuse(operation, start, start + length, 'not a valid 32-bit address range')
  }
}

/** Throws ADDRESS_REFUSED unless every byte of [start, end) may be erased or written. */
export function checkModifiable(target: GuardedTarget, operation: 'erase' | 'write', start: number, end: number): void {
  checkBounds(operation, start, end - start)
  if (end === start) return
  const { allowedRange } = target
  if (allowedRange && (start < allowedRange.start || end > allowedRange.end)) {
    refuse(operation, start, end, `outside the allowed range ${describeRange(allowedRange.start, allowedRange.end)}`)
  }
  const lowAllowed = allowedRange !== undefined && allowedRange.start < ELECTRON_PROTECTED_END
  if (target.alt === 0 && start < ELECTRON_PROTECTED_END && !lowAllowed) {
    refuse(
      operation,
      start,
      end,
      `below ${hex32(ELECTRON_PROTECTED_END)} (bootloader, configuration and EEPROM sectors)`,
    )
  }
  const flag = operation === 'erase' ? 'erasable' : 'writable'
  for (const page of pagesInRange(target.layout, start, end)) {
    if (!page.segment[flag])
      refuse(operation, start, end, `the page at ${hex32(page.start)} is not ${flag} on this device`)
  }
}

/** The page holding `address`, once the whole page is known to be erasable here. */
export function pageToErase(target: GuardedTarget, address: number): MemoryPage {
  checkBounds('erase', address, 1)
  const page = findPage(target.layout, address)
  if (page === undefined) refuse('erase', address, address + 1, `not in the memory layout "${target.layout.name}"`)
  checkModifiable(target, 'erase', page.start, page.end)
  return page
}

/** Throws ADDRESS_REFUSED unless every byte of the range is in a readable segment. */
export function checkReadable(target: GuardedTarget, start: number, length: number): void {
  checkBounds('read', start, length)
  for (const page of pagesInRange(target.layout, start, start + length)) {
    if (!page.segment.readable)
      refuse('read', start, start + length, `the page at ${hex32(page.start)} is not readable`)
  }
}

/**
 * Checks a whole plan against the layout and the allowed range, sending
 * nothing: an erase covers every page under its range, and each page must be
 * erasable as a whole. Throws ADDRESS_REFUSED for the first operation refused.
 */
export function checkPlan(target: GuardedTarget, operations: PlannedOperation[]): void {
  for (const { op, start, end } of operations) {
    if (op === 'read') checkReadable(target, start, end - start)
    else if (op === 'write') checkModifiable(target, 'write', start, end)
    else for (const page of pagesInRange(target.layout, start, end)) pageToErase(target, page.start)
  }
}
