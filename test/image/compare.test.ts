import { describe, expect, it } from 'vitest'
import { buildImage, matchImage, withoutTimeStamps } from 'flashdata'

const files = (mtime: number, hello = 'hello') => [
  { name: 'a.txt', data: new TextEncoder().encode(hello), mtime },
  { name: 'b/c.bin', data: Uint8Array.of(1, 2, 3), mtime },
]

describe('matchImage: the same files, whatever their time stamps', () => {
  const image = buildImage(files(100), { epoch: 100 })

  it('tells identical images, images that differ only in time stamps, and other images apart', () => {
    expect(matchImage(image, image)).toBe('identical')
    expect(matchImage(buildImage(files(200), { epoch: 300 }), image)).toBe('time-stamps')
    expect(matchImage(buildImage(files(100, 'hallo'), { epoch: 100 }), image)).toBe('different')
    expect(matchImage(buildImage(files(100), { epoch: 100, align: 4 }), image)).toBe('different') // another layout
  })

  it("compares a sector read back (longer than the image) by the image's length", () => {
    const sector = new Uint8Array(4096).fill(0xff)
    sector.set(buildImage(files(5), { epoch: 5 }))
    expect(matchImage(sector, image)).toBe('time-stamps')
  })

  it('never takes a corrupt image for the same files, even if only its CRC is off', () => {
    const torn = buildImage(files(200), { epoch: 200 })
    torn[16] ^= 1 // the CRC field, which the time-stamp comparison ignores
    expect(matchImage(torn, image)).toBe('different')
  })

  it('zeroes only the time fields and the CRC', () => {
    const masked = withoutTimeStamps(image)
    const other = withoutTimeStamps(buildImage(files(9), { epoch: 7 }))
    expect(masked).toEqual(other)
    expect(masked.length).toBe(image.length)
    expect(withoutTimeStamps(image.subarray(0, 48)).subarray(0, 16)).toEqual(image.subarray(0, 16))
  })
})
