import { describe, expect, it } from 'vitest'
import type { FlashdataError } from '../../src/errors.js'
import { cliHint } from '../../src/cli/hints.js'
import { buildImage, DFU_FILE_OVERHEAD, fromDfuFile, imageOfFile, readImage, SECTOR_SIZE, toDfuFile } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'

const enc = new TextEncoder()
const image = buildImage(
  [
    { name: 'a.txt', data: enc.encode('alpha'), mtime: 10 },
    { name: 'b.bin', data: pseudoRandomBytes(3000), mtime: 20 },
  ],
  { epoch: 1000 },
)

/** The DFU suffix CRC as the DFU 1.1 spec gives it, bit by bit: reflected 0xEDB88320, start 0xFFFFFFFF, no final XOR. */
function specCrc(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return crc >>> 0
}

const u32 = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true)
const u16 = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint16(at, true)

/** A copy with `edit` applied and, unless told otherwise, the suffix CRC made right again. */
// biome-ignore lint/suspicious/noConfusingVoidType: an edit changes the bytes in place or returns new ones
function edited(edit: (bytes: Uint8Array, view: DataView) => Uint8Array | void, fixCrc = true): Uint8Array {
  let bytes: Uint8Array = toDfuFile(image).slice()
  bytes = edit(bytes, new DataView(bytes.buffer)) ?? bytes
  if (fixCrc)
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(
      bytes.length - 4,
      specCrc(bytes.subarray(0, bytes.length - 4)),
      true,
    )
  return bytes
}

const problemOf = (bytes: Uint8Array) => {
  try {
    fromDfuFile(bytes)
  } catch (error) {
    return error as { code: string; details: { problem: string } }
  }
  throw new Error('accepted')
}

describe('DfuSe files', () => {
  it('wrap an image in one prefix, one target at alt 0, one element at 0x080A0000 and a 2b04:d00a DfuSe suffix', () => {
    const file = toDfuFile(image)
    expect(file.length).toBe(image.length + DFU_FILE_OVERHEAD)
    expect(new TextDecoder().decode(file.subarray(0, 5))).toBe('DfuSe')
    expect([file[5], u32(file, 6), file[10]]).toEqual([1, file.length - 16, 1])
    expect(new TextDecoder().decode(file.subarray(11, 17))).toBe('Target')
    expect(file[17]).toBe(0)
    expect(u32(file, 11 + 274)).toBe(0x080a0000)
    expect(u32(file, 11 + 274 + 4)).toBe(image.length)
    expect(file.subarray(11 + 274 + 8, file.length - 16)).toEqual(image)
    const suffix = file.length - 16
    expect([u16(file, suffix), u16(file, suffix + 2), u16(file, suffix + 4), u16(file, suffix + 6)]).toEqual([
      0xffff, 0xd00a, 0x2b04, 0x011a,
    ])
    expect(new TextDecoder().decode(file.subarray(suffix + 8, suffix + 11))).toBe('UFD')
    expect(file[suffix + 11]).toBe(16)
    expect(u32(file, suffix + 12)).toBe(specCrc(file.subarray(0, suffix + 12)))
  })

  it('round-trip: the image read back is byte-identical, for a small image and a whole sector', () => {
    expect(fromDfuFile(toDfuFile(image))).toEqual(image)
    const full = pseudoRandomBytes(SECTOR_SIZE, 7)
    expect(fromDfuFile(toDfuFile(full))).toEqual(full)
  })

  it('are recognised by a .dfu name or by the DfuSe prefix; other files are the image itself', () => {
    expect(imageOfFile('data.DFU', toDfuFile(image))).toEqual(image)
    expect(imageOfFile('data.bin', toDfuFile(image))).toEqual(image)
    expect(imageOfFile('data.bin', image)).toBe(image)
    expect(() => imageOfFile('data.dfu', image)).toThrow(
      expect.objectContaining({ code: 'DFU_FILE_INVALID', details: { problem: 'no-suffix' } }),
    )
  })

  it('refuse a changed byte by the suffix CRC, with both CRCs in the message and a hint', () => {
    const error = problemOf(
      edited((b) => {
        b[400] ^= 1
      }, false),
    )
    expect(error).toMatchObject({ code: 'DFU_FILE_INVALID', details: { problem: 'suffix-crc' } })
    expect((error as unknown as Error).message).toMatch(/suffix CRC is 0x[0-9A-F]{8} but the bytes give 0x[0-9A-F]{8}/)
    expect(cliHint(error as unknown as FlashdataError)).toMatch(/flashdata build <folder> -o data\.dfu/)
    expect((error as unknown as { exitCode: number }).exitCode).toBe(4)
  })

  const suffixAt = (b: Uint8Array) => b.length - 16
  it.each([
    ['too-short', () => toDfuFile(image).subarray(0, DFU_FILE_OVERHEAD - 1)],
    [
      'no-suffix',
      () =>
        edited((b) => {
          b[suffixAt(b) + 8] = 0x58
        }),
    ],
    [
      'suffix-length',
      () =>
        edited((b) => {
          b[suffixAt(b) + 11] = 17
        }),
    ],
    ['not-dfuse', () => edited((b, v) => v.setUint16(suffixAt(b) + 6, 0x0100, true))],
    ['other-device', () => edited((b, v) => v.setUint16(suffixAt(b) + 2, 0xd006, true))],
    ['other-device', () => edited((b, v) => v.setUint16(suffixAt(b) + 4, 0x0483, true))],
    [
      'no-prefix',
      () =>
        edited((b) => {
          b[0] = 0x64
        }),
    ],
    [
      'no-prefix',
      () =>
        edited((b) => {
          b[5] = 2
        }),
    ],
    ['prefix-size', () => edited((_, v) => v.setUint32(6, 12, true))],
    [
      'target-count',
      () =>
        edited((b) => {
          b[10] = 2
        }),
    ],
    [
      'no-target',
      () =>
        edited((b) => {
          b[11] = 0x74
        }),
    ],
    [
      'target-alt',
      () =>
        edited((b) => {
          b[17] = 1
        }),
    ],
    ['element-count', () => edited((_, v) => v.setUint32(11 + 270, 2, true))],
    ['target-size', () => edited((_, v) => v.setUint32(11 + 266, 8, true))],
    ['element-address', () => edited((_, v) => v.setUint32(11 + 274, 0x08080000, true))],
    ['element-address', () => edited((_, v) => v.setUint32(11 + 274, 0x080a0001, true))],
    ['element-size', () => edited((_, v) => v.setUint32(11 + 274 + 4, image.length - 1, true))],
  ])('refuse %s', (problem, make) => {
    expect(problemOf(make())).toMatchObject({ code: 'DFU_FILE_INVALID', details: { problem } })
  })

  it('refuse an element larger than the sector even when every other field agrees', () => {
    const big = toDfuFile(pseudoRandomBytes(SECTOR_SIZE + 1))
    expect(problemOf(big)).toMatchObject({ details: { problem: 'element-size' } })
    expect(() => fromDfuFile(big)).toThrow(/more than the 131,072-byte sector/)
  })

  it('say USB ids as lsusb and dfu-util -d write them, other hex in upper case, and 1 byte in the singular', () => {
    const other = edited((b, v) => v.setUint16(suffixAt(b) + 4, 0x0483, true))
    expect(() => fromDfuFile(other)).toThrow('for USB device 0483:d00a, not the Electron in DFU mode (2b04:d00a).')
    const dfu = edited((b, v) => v.setUint16(suffixAt(b) + 6, 0x010a, true))
    expect(() => fromDfuFile(dfu)).toThrow("its suffix says bcdDFU 0x010A, not DfuSe's 0x011A.")
    expect(() => fromDfuFile(new Uint8Array(1))).toThrow(`it is 1 byte, shorter than the ${DFU_FILE_OVERHEAD} bytes`)
  })

  it('accept suffix IDs of 0xFFFF (any device), as dfu-suffix writes by default', () => {
    const any = edited((b, v) => {
      v.setUint16(suffixAt(b) + 2, 0xffff, true)
      v.setUint16(suffixAt(b) + 4, 0xffff, true)
    })
    expect(readImage(fromDfuFile(any)).files.map((f) => f.name)).toEqual(['a.txt', 'b.bin'])
  })
})
