import { describe, expect, it } from 'vitest'
import { buildImage, crc32, parseImage } from 'flashdata'
import CRC32 from 'crc-32'
import { pseudoRandomBytes } from '../helpers/files.js'

const bytes = (s: string) => new TextEncoder().encode(s)

// Hand-computed with the layout of the format reference: header (48 bytes),
// two 80-byte entries sorted by name in byte order ("LICENSE" < "a.txt"),
// then the data packed with no padding; CRC-32 over the image with its own
// field zero, stored little-endian. This is what the original packer writes.
const EXPECTED = [
  '637791e0',
  '01000000',
  '02000000',
  'd3000000',
  'f6dd2590',
  '00f15365',
  '00'.repeat(24),
  '4c4943454e5345'.padEnd(64, '0'),
  'd0070000',
  '01000000',
  'd0000000',
  '00000000',
  '746578742f706c61696e'.padEnd(64, '0'),
  '612e747874'.padEnd(64, '0'),
  'e8030000',
  '02000000',
  'd1000000',
  '00000000',
  '746578742f706c61696e'.padEnd(64, '0'),
  '78',
  '6869',
].join('')

describe('the version-1 byte layout', () => {
  it('matches a hand-computed image byte for byte', () => {
    const image = buildImage(
      [
        { name: 'a.txt', data: bytes('hi'), mtime: 1000 },
        { name: 'LICENSE', data: bytes('x'), mtime: 2000 },
      ],
      { epoch: 1_700_000_000 },
    )
    expect(Buffer.from(image).toString('hex')).toBe(EXPECTED)
  })

  it('uses the IEEE CRC-32 (check value of "123456789" is 0xCBF43926)', () => {
    expect(crc32(bytes('123456789'))).toBe(0xcbf43926)
  })

  it('computes the same CRC-32 as the crc-32 package, in one piece or continued from a seed', () => {
    const data = pseudoRandomBytes(70_001, 9)
    expect(crc32(data)).toBe(CRC32.buf(data) >>> 0)
    const first = crc32(data.subarray(0, 12_345))
    expect(crc32(data.subarray(12_345), first)).toBe(CRC32.buf(data) >>> 0)
    expect(crc32(new Uint8Array(0), first)).toBe(first)
  })

  it('gives LICENSE and README text/plain and unknown extensions application/octet-stream, like the original', () => {
    const image = buildImage(
      ['README', 'LICENSE', 'blob.xyz123', 'ca.pem', 'chime.wav', 'logo.png', 'notes.txt'].map((name) => ({
        name,
        data: bytes(name),
        mtime: 0,
      })),
      { epoch: 0 },
    )
    const types = Object.fromEntries(parseImage(image).files.map((f) => [f.name, f.contentType]))
    expect(types).toEqual({
      README: 'text/plain',
      LICENSE: 'text/plain',
      'blob.xyz123': 'application/octet-stream',
      'ca.pem': 'application/x-x509-ca-cert',
      'chime.wav': 'audio/wav',
      'logo.png': 'image/png',
      'notes.txt': 'text/plain',
    })
  })

  it('aligns each data offset with align > 1 and stays readable', () => {
    const image = buildImage(
      [
        { name: 'a', data: bytes('123'), mtime: 0 },
        { name: 'b', data: bytes('45'), mtime: 0 },
      ],
      { epoch: 0, align: 16 },
    )
    const listing = parseImage(image)
    expect(listing.valid).toBe(true)
    expect(listing.files.map((f) => f.addr)).toEqual([208, 224])
    expect(listing.header?.totalSize).toBe(226)
    expect(Buffer.from(image.subarray(224, 226)).toString()).toBe('45')
  })
})
