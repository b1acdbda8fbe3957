/**
 * The version-1 flash-file image format, byte by byte (all integers u32 LE):
 * a 48-byte header, one 80-byte entry per file, then the files' data.
 * Pure functions over bytes; no I/O.
 */

export const MAGIC = 0xe0917763
export const FORMAT_VERSION = 1
export const HEADER_SIZE = 48
export const ENTRY_SIZE = 80
/** name[32] and contentType[32] hold at most 31 bytes plus a NUL. */
export const MAX_NAME_BYTES = 31
export const MAX_CONTENT_TYPE_BYTES = 31
/** The Electron's sector 9: the whole image must fit in it. */
export const SECTOR_SIZE = 131072
/** Where sector 9 starts in the Electron's flash (its "factory backup" slot). */
export const SECTOR_ADDRESS = 0x080a0000

export const HeaderOffset = {
  magic: 0x00,
  version: 0x04,
  numFiles: 0x08,
  totalSize: 0x0c,
  crc: 0x10,
  modDate: 0x14,
} as const

export const EntryOffset = {
  name: 0x00,
  modDate: 0x20,
  length: 0x24,
  addr: 0x28,
  contentType: 0x30,
} as const

const FIELD_BYTES = 32

export interface ImageHeader {
  magic: number
  version: number
  numFiles: number
  totalSize: number
  crc: number
  modDate: number
}

export interface EntryFields {
  /** Raw name field; decoding and validation happen in the parser. */
  nameBytes: Uint8Array
  contentTypeBytes: Uint8Array
  modDate: number
  length: number
  addr: number
}

export function tableEnd(numFiles: number): number {
  return HEADER_SIZE + ENTRY_SIZE * numFiles
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export function readHeader(bytes: Uint8Array): ImageHeader {
  const v = view(bytes)
  const u32 = (offset: number) => v.getUint32(offset, true)
  return {
    magic: u32(HeaderOffset.magic),
    version: u32(HeaderOffset.version),
    numFiles: u32(HeaderOffset.numFiles),
    totalSize: u32(HeaderOffset.totalSize),
    crc: u32(HeaderOffset.crc),
    modDate: u32(HeaderOffset.modDate),
  }
}

export function writeHeader(bytes: Uint8Array, header: ImageHeader): void {
  const v = view(bytes)
  for (const [field, offset] of Object.entries(HeaderOffset)) {
    v.setUint32(offset, header[field as keyof ImageHeader], true)
  }
}

export function readEntry(bytes: Uint8Array, index: number): EntryFields {
  const base = tableEnd(index)
  const v = view(bytes)
  return {
    nameBytes: bytes.subarray(base + EntryOffset.name, base + EntryOffset.name + FIELD_BYTES),
    contentTypeBytes: bytes.subarray(base + EntryOffset.contentType, base + EntryOffset.contentType + FIELD_BYTES),
    modDate: v.getUint32(base + EntryOffset.modDate, true),
    length: v.getUint32(base + EntryOffset.length, true),
    addr: v.getUint32(base + EntryOffset.addr, true),
  }
}

/** Writes one entry; name and content type must already be checked to fit. */
export function writeEntry(
  bytes: Uint8Array,
  index: number,
  entry: { name: Uint8Array; contentType: Uint8Array; modDate: number; length: number; addr: number },
): void {
  const base = tableEnd(index)
  bytes.fill(0, base, base + ENTRY_SIZE)
  bytes.set(entry.name, base + EntryOffset.name)
  bytes.set(entry.contentType, base + EntryOffset.contentType)
  const v = view(bytes)
  v.setUint32(base + EntryOffset.modDate, entry.modDate, true)
  v.setUint32(base + EntryOffset.length, entry.length, true)
  v.setUint32(base + EntryOffset.addr, entry.addr, true)
}
