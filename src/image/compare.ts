import { ENTRY_SIZE, EntryOffset, HEADER_SIZE, HeaderOffset, readHeader, tableEnd } from './format.js'
import { parseImage } from './parse.js'

/** Offset of the first byte that differs, or -1 when `a` and `b` are equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? -1 : n
}

/**
 * A copy with every time stamp zeroed (the header's build time, each entry's
 * modification time) and the CRC that covers them. Works on a prefix too (the
 * header alone): only the fields inside `bytes` are touched.
 */
export function withoutTimeStamps(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice()
  if (copy.length < HEADER_SIZE) return copy
  const view = new DataView(copy.buffer)
  view.setUint32(HeaderOffset.crc, 0, true)
  view.setUint32(HeaderOffset.modDate, 0, true)
  const { numFiles } = readHeader(copy)
  for (let i = 0; i < numFiles && tableEnd(i) + ENTRY_SIZE <= copy.length; i++)
    view.setUint32(tableEnd(i) + EntryOffset.modDate, 0, true)
  return copy
}

/**
 * How an image held (on a board) compares with the expected one: byte for
 * byte the same, the same files (names, content types, bytes, layout) with
 * other time stamps, or different. `held` may be longer than `expected`
 * (a sector read back); it must be a valid image to count as the same files.
 */
export type ImageMatch = 'identical' | 'time-stamps' | 'different'

export function matchImage(held: Uint8Array, expected: Uint8Array): ImageMatch {
  const have = held.subarray(0, expected.length)
  if (have.length !== expected.length) return 'different'
  if (firstDifference(have, expected) === -1) return 'identical'
  if (firstDifference(withoutTimeStamps(have), withoutTimeStamps(expected)) !== -1 || !parseImage(have).valid)
    return 'different'
  return 'time-stamps'
}
