import CRC32 from 'crc-32'
import { HeaderOffset } from './format.js'

/** CRC-32 of `bytes`, continuing from `previous` (the CRC of what came before), unsigned. */
type Crc32 = (bytes: Uint8Array, previous?: number) => number

const portable: Crc32 = (bytes, previous) => CRC32.buf(bytes, previous) >>> 0

interface Zlib {
  crc32?: (bytes: Uint8Array, value?: number) => number
}
interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown
}

let engine: Crc32 | undefined

/**
 * Node's zlib has CRC-32 in native code (Node 20.16+): a command checks its
 * image once, long before the JavaScript version would be optimised, and in
 * the bench VM those first runs cost a few hundred milliseconds per 128 KiB.
 * Reached without an import, so that browsers (and older Node) use crc-32.
 */
function crcEngine(): Crc32 {
  if (!engine) {
    const zlib = (globalThis as { process?: NodeProcess }).process?.getBuiltinModule?.('zlib') as Zlib | undefined
    const native = zlib?.crc32
    engine = native ? (bytes, previous = 0) => native(bytes, previous) : portable
  }
  return engine
}

/** IEEE CRC-32 (zlib's), as an unsigned number. */
export function crc32(bytes: Uint8Array, seed?: number): number {
  return crcEngine()(bytes, seed)
}

/**
 * The image CRC: over the first `totalSize` bytes with the CRC field read as
 * zero, without copying the image.
 */
export function imageCrc(bytes: Uint8Array, totalSize: number): number {
  const field = HeaderOffset.crc
  const crc = crcEngine()
  return crc(bytes.subarray(field + 4, totalSize), crc(new Uint8Array(4), crc(bytes.subarray(0, field))))
}
