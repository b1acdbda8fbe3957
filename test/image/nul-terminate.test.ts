import { describe, expect, it } from 'vitest'
import { buildImage, parseImage, type ImageFileInput } from '../../src/image/index.js'

const utf8 = (s: string) => new TextEncoder().encode(s)
const FILES: ImageFileInput[] = [
  { name: 'a.pem', data: utf8('-----BEGIN-----\n'), mtime: 1 },
  { name: 'b.bin', data: Uint8Array.of(0xff, 0xff, 0xff), mtime: 2 },
  { name: 'c.pem', data: utf8('key\n'), mtime: 3 },
]
const terminated = (names: string[]) => FILES.map((f) => ({ ...f, nulTerminate: names.includes(f.name) }))

describe('buildImage with nulTerminate', () => {
  it.each([1, 4, 16])('reserves a zero byte after each marked file, outside its length (align %i)', (align) => {
    const image = buildImage(terminated(['a.pem', 'c.pem']), { epoch: 9, align })
    const listing = parseImage(image)
    expect(listing.valid).toBe(true)
    expect(listing.files.map((f) => f.length)).toEqual(FILES.map((f) => f.data.length))
    for (const file of listing.files) {
      expect(image.subarray(file.addr, file.addr + file.length)).toEqual(FILES.find((f) => f.name === file.name)!.data)
    }
    const [a, b, c] = listing.files
    expect(image[a.addr + a.length]).toBe(0)
    expect(b.addr).toBeGreaterThan(a.addr + a.length)
    expect(image[c.addr + c.length]).toBe(0)
    expect(image.length).toBe(c.addr + c.length + 1)
  })

  it('leaves unmarked files packed exactly as before', () => {
    const marked = buildImage(terminated([]), { epoch: 9 })
    expect(marked).toEqual(buildImage(FILES, { epoch: 9 }))
    expect(parseImage(marked).files.map((f) => f.addr)).toEqual([288, 288 + 16, 288 + 16 + 3])
  })

  it('counts terminators against the sector size', () => {
    const full: ImageFileInput[] = [{ name: 'big.pem', data: new Uint8Array(131072 - 48 - 80), mtime: 1 }]
    expect(() => buildImage(full, { epoch: 1 })).not.toThrow()
    expect(() => buildImage([{ ...full[0], nulTerminate: true }], { epoch: 1 })).toThrow(/1 byte over/)
  })
})
