import CRC32 from 'crc-32'
import { HeaderOffset } from './format.js'

/** IEEE CRC-32 (zlib's), as an unsigned number. */
export function crc32(bytes: Uint8Array, seed?: number): number {
  return CRC32.buf(bytes, seed) >>> 0
}

/**
 * The image CRC: over the first `totalSize` bytes with the CRC field read as
 * zero, without copying the image.
 */
export function imageCrc(bytes: Uint8Array, totalSize: number): number {
  const field = HeaderOffset.crc
  let crc = CRC32.buf(bytes.subarray(0, field))
  crc = CRC32.buf(new Uint8Array(4), crc)
  crc = CRC32.buf(bytes.subarray(field + 4, totalSize), crc)
  return crc >>> 0
}
