import { describe, expect, it } from 'vitest'
import { buildImage, FlashdataError, imageCrc, parseImage, readImage, SECTOR_SIZE } from 'flashdata'

const enc = new TextEncoder()
const sample = () =>
  buildImage(
    [
      { name: 'a.txt', data: enc.encode('alpha'), mtime: 10 },
      { name: 'b.bin', data: enc.encode('bravo!'), mtime: 20 },
    ],
    { epoch: 1000 },
  )

function setU32(image: Uint8Array, offset: number, value: number, fixCrc = true): Uint8Array {
  const copy = image.slice()
  const view = new DataView(copy.buffer)
  view.setUint32(offset, value, true)
  if (fixCrc) view.setUint32(16, imageCrc(copy, Math.min(view.getUint32(12, true), copy.length)), true)
  return copy
}

const codes = (bytes: Uint8Array) => parseImage(bytes).problems.map((p) => p.code)

describe('parseImage', () => {
  it('lists a valid image with its header and files', () => {
    const listing = parseImage(sample())
    expect(listing.valid).toBe(true)
    expect(listing.header).toMatchObject({ version: 1, numFiles: 2, totalSize: 219, modDate: 1000 })
    expect(listing.files).toEqual([
      { index: 0, name: 'a.txt', contentType: 'text/plain', modDate: 10, length: 5, addr: 208 },
      { index: 1, name: 'b.bin', contentType: 'application/octet-stream', modDate: 20, length: 6, addr: 213 },
    ])
    expect(listing.usedBytes).toBe(219)
    expect(listing.freeBytes).toBe(SECTOR_SIZE - 219)
  })

  it('diagnoses an erased (all 0xFF) sector as blank', () => {
    const listing = parseImage(new Uint8Array(SECTOR_SIZE).fill(0xff))
    expect(listing).toMatchObject({ valid: false, blank: true })
    expect(() => readImage(new Uint8Array(64).fill(0xff))).toThrow(expect.objectContaining({ code: 'IMAGE_BLANK' }))
  })

  it('diagnoses a truncated header and a truncated image with the missing byte count', () => {
    expect(codes(sample().subarray(0, 20))).toEqual(['truncated-header'])
    const listing = parseImage(sample().subarray(0, 215))
    expect(listing.problems[0]).toMatchObject({ code: 'truncated' })
    expect(listing.problems[0].message).toContain('4 missing')
  })

  it('diagnoses a wrong magic and a newer version', () => {
    expect(codes(setU32(sample(), 0, 0x12345678))).toEqual(['bad-magic'])
    expect(codes(setU32(sample(), 4, 2))).toEqual(['bad-version'])
  })

  it('diagnoses a CRC mismatch (one flipped data byte)', () => {
    const image = sample()
    image[210] ^= 1
    expect(codes(image)).toEqual(['bad-crc'])
  })

  it('diagnoses a numFiles whose table does not fit totalSize without reading past the bytes', () => {
    expect(codes(setU32(sample(), 8, 0xffffffff))).toContain('table-overflow')
    expect(codes(setU32(sample(), 8, 3))).toContain('table-overflow')
  })

  it('diagnoses entries whose data lies outside the image, also when addr + length overflows 32 bits', () => {
    expect(codes(setU32(sample(), 48 + 80 + 0x28, 5000))).toEqual(['data-out-of-range'])
    expect(codes(setU32(sample(), 48 + 0x24, 0xffffffff))).toContain('data-out-of-range')
    expect(codes(setU32(sample(), 48 + 0x28, 0))).toContain('data-out-of-range') // points into the header
  })

  it('diagnoses overlapping entries and duplicate names', () => {
    expect(codes(setU32(sample(), 48 + 80 + 0x28, 210))).toContain('overlap')
    const dup = sample()
    dup.set(enc.encode('a.txt\0'), 48 + 80)
    new DataView(dup.buffer).setUint32(16, imageCrc(dup, dup.length), true)
    expect(codes(dup)).toEqual(['duplicate-name'])
  })

  it('diagnoses a name without its NUL terminator', () => {
    const image = sample()
    image.fill(0x41, 48, 48 + 32)
    new DataView(image.buffer).setUint32(16, imageCrc(image, image.length), true)
    expect(codes(image)).toEqual(['name-unterminated'])
  })

  it('diagnoses a totalSize beyond the sector', () => {
    expect(codes(setU32(sample(), 12, SECTOR_SIZE + 1, false))).toContain('size-over-sector')
  })

  it('accepts erased (0xFF) bytes after the image, as read back from the whole sector', () => {
    const sector = new Uint8Array(SECTOR_SIZE).fill(0xff)
    sector.set(sample())
    const listing = parseImage(sector)
    expect(listing.valid).toBe(true)
    expect(listing.problems.map((p) => [p.code, p.severity])).toEqual([['padding', 'warning']])
  })

  it('refuses other bytes after the image, and any file larger than the sector', () => {
    const zeros = new Uint8Array(sample().length + 4)
    zeros.set(sample())
    expect(codes(zeros)).toEqual(['trailing-bytes'])
    const over = new Uint8Array(SECTOR_SIZE + 1).fill(0xff)
    over.set(sample())
    expect(codes(over)).toEqual(['file-over-sector', 'padding'])
  })

  it('readImage throws IMAGE_INVALID listing every problem', () => {
    const image = setU32(sample(), 48 + 80 + 0x28, 5000, false)
    try {
      readImage(image)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(FlashdataError)
      const e = error as FlashdataError<'IMAGE_INVALID'>
      expect(e.code).toBe('IMAGE_INVALID')
      expect(e.exitCode).toBe(4)
      expect((e.details!.problems as { code: string }[]).map((p) => p.code).sort()).toEqual([
        'bad-crc',
        'data-out-of-range',
      ])
    }
  })
})

describe('parseImage: the name rule', () => {
  /** The sample image with entry 0 renamed (raw bytes, as another tool might write them). */
  function renamed(name: string): Uint8Array {
    const image = sample()
    image.fill(0, 48, 48 + 32)
    image.set(enc.encode(name), 48)
    return setU32(image, 16, imageCrc(image, image.length), false)
  }

  it('makes an image invalid whose names could not be extracted safely, escaping them in the message', () => {
    for (const name of ['../../evil.txt', '/etc/x', 'a\\b', 'x/./y', 'bell\x07', 'esc\x1b[2J']) {
      const listing = parseImage(renamed(name))
      expect(listing.valid, JSON.stringify(name)).toBe(false)
      expect(codes(renamed(name))).toEqual(['name-unsafe'])
      expect(listing.problems[0].message).not.toMatch(/[\x00-\x1f]/)
    }
  })

  it('makes an image invalid that holds a file and a folder of the same name', () => {
    expect(codes(renamed('b.bin/x'))).toEqual(['name-clash'])
  })
})
