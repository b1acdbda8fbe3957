import { describe, expect, it } from 'vitest'
import { buildImage, FlashdataError, parseImage, readImage } from 'flashdata'
import { pseudoRandomBytes, rng } from '../helpers/files.js'

const base = buildImage(
  Array.from({ length: 6 }, (_, i) => ({
    name: `dir${i % 2}/file-${i}.txt`,
    data: pseudoRandomBytes(50 * i, i + 1),
    mtime: i,
  })),
  { epoch: 1234 },
)

/** Either a listing whose files all lie inside the bytes, or a typed error: never a crash. */
function checkNoCrash(bytes: Uint8Array): void {
  const listing = parseImage(bytes)
  if (listing.valid) {
    for (const f of listing.files) expect(f.addr + f.length).toBeLessThanOrEqual(bytes.length)
  }
  try {
    readImage(bytes)
  } catch (error) {
    expect(error).toBeInstanceOf(FlashdataError)
    expect(['IMAGE_INVALID', 'IMAGE_BLANK']).toContain((error as FlashdataError).code)
  }
}

describe('parser fuzzing', () => {
  it('survives 3000 random byte strings of every length', () => {
    const random = rng(7)
    for (let i = 0; i < 3000; i++) checkNoCrash(pseudoRandomBytes(Math.floor(random() * 700), i + 1))
  })

  it('survives 5000 mutations of a valid image (bit flips, u32 overwrites, truncations)', () => {
    const random = rng(99)
    const pick = (n: number) => Math.floor(random() * n)
    const specials = [0, 1, 0xff, 0xffffffff, 0x7fffffff, 0x80000000, 48, 128, 131072, base.length]
    for (let i = 0; i < 5000; i++) {
      let bytes = base.slice()
      for (let m = 0; m <= pick(4); m++) {
        const kind = pick(3)
        if (kind === 0) bytes[pick(bytes.length)] ^= 1 << pick(8)
        else if (kind === 1) {
          if (bytes.length < 4) continue
          const offset = pick(Math.floor(bytes.length / 4)) * 4
          new DataView(bytes.buffer).setUint32(offset, specials[pick(specials.length)], true)
        } else bytes = bytes.slice(0, pick(bytes.length + 1))
      }
      checkNoCrash(bytes)
    }
  })
})
