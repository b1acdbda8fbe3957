/**
 * DfuSe files (.dfu): an image wrapped for dfu-util, which writes it to the
 * address it carries. The layout is ST's (UM0391) as dfu-util reads it
 * (dfu_file.c for the suffix, dfuse.c for the container), all integers LE:
 *
 *   prefix   11 bytes   "DfuSe", version 1, DFUImageSize (u32, the file without its suffix), bTargets
 *   target  274 bytes   "Target", bAlternateSetting, bTargetNamed (u32), name[255], dwTargetSize, dwNbElements
 *   element   8 bytes   dwElementAddress, dwElementSize, then the data
 *   suffix   16 bytes   bcdDevice, idProduct, idVendor, bcdDFU, "UFD", bLength, dwCRC
 *
 * dwCRC is CRC-32 without the final inversion, over every byte before it.
 * flashdata writes and reads exactly one target (alt 0, the internal flash)
 * with one element at sector 9, and refuses any other file before a board
 * is touched. Pure functions over bytes; no I/O.
 */
import { FlashdataError } from '../errors.js'
import { bytes as byteCount, formatBytes as n, hex16, hex32, usbId } from '../text.js'
import { tooLarge } from './build.js'
import { crc32 } from './crc.js'
import { SECTOR_ADDRESS, SECTOR_SIZE } from './format.js'
import { printable } from './names.js'

const PREFIX_SIZE = 11
const TARGET_SIZE = 274
const ELEMENT_SIZE = 8
const SUFFIX_SIZE = 16
const TARGET_NAME_BYTES = 255
/** What a .dfu file adds around the image: a sector's .dfu is at most SECTOR_SIZE + this. */
export const DFU_FILE_OVERHEAD = PREFIX_SIZE + TARGET_SIZE + ELEMENT_SIZE + SUFFIX_SIZE
/** The Electron in DFU mode, and DfuSe's bcdDFU: dfu-util matches the board by them. */
export const DFU_FILE_DEVICE = { vendorId: 0x2b04, productId: 0xd00a, bcdDFU: 0x011a } as const
/** "Any" in a suffix's IDs (dfu-suffix's default). */
const ANY_ID = 0xffff
const TARGET_NAME = 'flashdata'

export type ImageFileFormat = 'bin' | 'dfu'

/** The format a file name asks for: `.dfu` (any case) is a DfuSe file, anything else a plain image. */
export function formatOfName(name: string): ImageFileFormat {
  return /\.dfu$/i.test(name) ? 'dfu' : 'bin'
}

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0))
const matches = (bytes: Uint8Array, at: number, text: string) => ascii(text).every((b, i) => bytes[at + i] === b)

/** dfu-util's suffix CRC: CRC-32 as zlib starts it, without the final inversion. */
function suffixCrc(bytes: Uint8Array): number {
  return ~crc32(bytes) >>> 0
}

/** Wraps an image in a DfuSe file: one target (alt 0) with one element at `address`. */
export function toDfuFile(image: Uint8Array, address = SECTOR_ADDRESS): Uint8Array {
  const out = new Uint8Array(image.length + DFU_FILE_OVERHEAD)
  const v = new DataView(out.buffer)
  out.set(ascii('DfuSe'), 0)
  out[5] = 1
  v.setUint32(6, out.length - SUFFIX_SIZE, true)
  out[10] = 1
  const target = PREFIX_SIZE
  out.set(ascii('Target'), target)
  out[target + 6] = 0
  v.setUint32(target + 7, 1, true)
  out.set(ascii(TARGET_NAME), target + 11)
  v.setUint32(target + 11 + TARGET_NAME_BYTES, ELEMENT_SIZE + image.length, true)
  v.setUint32(target + 15 + TARGET_NAME_BYTES, 1, true)
  const element = target + TARGET_SIZE
  v.setUint32(element, address, true)
  v.setUint32(element + 4, image.length, true)
  out.set(image, element + ELEMENT_SIZE)
  const suffix = out.length - SUFFIX_SIZE
  v.setUint16(suffix, ANY_ID, true)
  v.setUint16(suffix + 2, DFU_FILE_DEVICE.productId, true)
  v.setUint16(suffix + 4, DFU_FILE_DEVICE.vendorId, true)
  v.setUint16(suffix + 6, DFU_FILE_DEVICE.bcdDFU, true)
  out.set(ascii('UFD'), suffix + 8)
  out[suffix + 11] = SUFFIX_SIZE
  v.setUint32(suffix + 12, suffixCrc(out.subarray(0, suffix + 12)), true)
  return out
}

export type DfuFileProblem =
  | 'too-short'
  | 'no-suffix'
  | 'suffix-length'
  | 'suffix-crc'
  | 'not-dfuse'
  | 'other-device'
  | 'no-prefix'
  | 'prefix-size'
  | 'target-count'
  | 'no-target'
  | 'target-alt'
  | 'element-count'
  | 'target-size'
  | 'element-address'
  | 'element-size'

/**
 * The image inside a DfuSe file, after checking the suffix (signature, length,
 * CRC, bcdDFU, the board's IDs), the prefix, the one target at alt 0 and its
 * one element: exactly at 0x080A0000 and at most the sector's size. Anything
 * else is DFU_FILE_INVALID, naming the first field that is wrong.
 */
export function fromDfuFile(bytes: Uint8Array, what = 'The .dfu file'): Uint8Array {
  const refuse = (problem: DfuFileProblem, message: string): never => {
    throw new FlashdataError('DFU_FILE_INVALID', `${what} is not a .dfu file flashdata accepts: ${message}`, {
      details: { problem },
    })
  }
  if (bytes.length < DFU_FILE_OVERHEAD)
    refuse(
      'too-short',
      `it is ${byteCount(bytes.length)}, shorter than the ${byteCount(DFU_FILE_OVERHEAD)} of a DfuSe prefix, target, element and suffix.`,
    )
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const u16 = (at: number) => v.getUint16(at, true)
  const u32 = (at: number) => v.getUint32(at, true)

  const suffix = bytes.length - SUFFIX_SIZE
  if (!matches(bytes, suffix + 8, 'UFD'))
    refuse(
      'no-suffix',
      'its last 16 bytes are not a DFU suffix (no "UFD" signature); a plain image is given as image.bin.',
    )
  if (bytes[suffix + 11] !== SUFFIX_SIZE)
    refuse('suffix-length', `its DFU suffix says it is ${byteCount(bytes[suffix + 11])} long, not ${SUFFIX_SIZE}.`)
  const crc = suffixCrc(bytes.subarray(0, bytes.length - 4))
  if (u32(suffix + 12) !== crc)
    refuse(
      'suffix-crc',
      `the suffix CRC is ${hex32(u32(suffix + 12))} but the bytes give ${hex32(crc)}: the file is corrupt or was changed after the suffix was added.`,
    )
  if (u16(suffix + 6) !== DFU_FILE_DEVICE.bcdDFU)
    refuse(
      'not-dfuse',
      `its suffix says bcdDFU ${hex16(u16(suffix + 6))}, not DfuSe's ${hex16(DFU_FILE_DEVICE.bcdDFU)}.`,
    )
  const [vendorId, productId] = [u16(suffix + 4), u16(suffix + 2)]
  if (
    (vendorId !== DFU_FILE_DEVICE.vendorId && vendorId !== ANY_ID) ||
    (productId !== DFU_FILE_DEVICE.productId && productId !== ANY_ID)
  ) {
    refuse(
      'other-device',
      `its suffix is for USB device ${usbId(vendorId, productId)}, not the Electron in DFU mode (${usbId(DFU_FILE_DEVICE.vendorId, DFU_FILE_DEVICE.productId)}).`,
    )
  }

  if (!matches(bytes, 0, 'DfuSe') || bytes[5] !== 1)
    refuse('no-prefix', 'it does not start with a version-1 DfuSe prefix ("DfuSe", 1).')
  if (u32(6) !== suffix)
    refuse('prefix-size', `its prefix says ${byteCount(u32(6))} before the suffix, but there are ${n(suffix)}.`)
  if (bytes[10] !== 1) refuse('target-count', `it holds ${bytes[10]} targets; flashdata writes files with exactly one.`)
  const target = PREFIX_SIZE
  if (!matches(bytes, target, 'Target')) refuse('no-target', 'its first target does not start with "Target".')
  if (bytes[target + 6] !== 0)
    refuse(
      'target-alt',
      `its target is for alternate setting ${bytes[target + 6]}; sector 9 is in alt 0 (internal flash).`,
    )
  const elements = u32(target + 15 + TARGET_NAME_BYTES)
  if (elements !== 1)
    refuse('element-count', `its target holds ${elements} elements; flashdata writes files with exactly one.`)
  const element = target + TARGET_SIZE
  const room = suffix - element - ELEMENT_SIZE
  if (u32(target + 11 + TARGET_NAME_BYTES) !== ELEMENT_SIZE + room)
    refuse(
      'target-size',
      `its target says ${byteCount(u32(target + 11 + TARGET_NAME_BYTES))} of elements, but ${n(ELEMENT_SIZE + room)} follow it.`,
    )
  const [address, size] = [u32(element), u32(element + 4)]
  if (address !== SECTOR_ADDRESS)
    refuse(
      'element-address',
      `its element is at ${hex32(address)}; flashdata writes only sector 9 at ${hex32(SECTOR_ADDRESS)}.`,
    )
  if (size > SECTOR_SIZE)
    refuse('element-size', `its element is ${byteCount(size)}, more than the ${n(SECTOR_SIZE)}-byte sector.`)
  if (size !== room) refuse('element-size', `its element says ${byteCount(size)}, but ${n(room)} are there.`)
  return bytes.subarray(element + ELEMENT_SIZE, suffix)
}

/** How many first bytes of a file tell a DfuSe file (its "DfuSe" signature) from an image. */
export const DFU_SIGNATURE_BYTES = 5

/** The format of an image file: a .dfu name, or a file that starts with the DfuSe prefix (no image does). */
function formatOfFile(name: string, head: Uint8Array | undefined): ImageFileFormat {
  return formatOfName(name) === 'dfu' || (head !== undefined && matches(head, 0, 'DfuSe')) ? 'dfu' : 'bin'
}

/** The image an image file holds: a .dfu file is unwrapped and checked; any other file is the image itself. */
export function imageOfFile(name: string, bytes: Uint8Array, what = `"${printable(name)}"`): Uint8Array {
  return formatOfFile(name, bytes) === 'dfu' ? fromDfuFile(bytes, what) : bytes
}

/** The largest file an image of the sector can be in this format: bigger ones are refused unread. */
export function maxFileSize(format: ImageFileFormat): number {
  return format === 'dfu' ? SECTOR_SIZE + DFU_FILE_OVERHEAD : SECTOR_SIZE
}

/**
 * An image file too large to hold the sector's image in its format, refused
 * from its size before it is read (the CLI and the page). A file over a plain
 * image's size is told by its first DFU_SIGNATURE_BYTES (`head`): a .dfu file
 * renamed .bin is still one.
 */
export function imageFileTooLarge(name: string, size: number, head?: Uint8Array): FlashdataError | undefined {
  const format = formatOfFile(name, head)
  if (size <= maxFileSize(format)) return undefined
  return format === 'dfu'
    ? tooLarge(name, size, 'dfu', `a .dfu file of it (at most ${byteCount(DFU_FILE_OVERHEAD)} more)`)
    : tooLarge(name, size, 'image', 'an image')
}
