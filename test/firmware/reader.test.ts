import CRC32 from 'crc-32'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage, parseImage, type ImageFileInput } from '../../src/image/index.js'
import {
  EXAMPLES,
  Harness,
  LIBRARY_SOURCES,
  ORIGINAL_API_SKETCH,
  Res,
  canRun,
  runner,
  hasGxx,
  syntaxCheck,
  type Bits,
  type Report,
} from './harness.js'

const SLOT = 131072
const EPOCH = 1_700_000_000
const utf8 = (s: string) => new TextEncoder().encode(s)
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const MIXED: ImageFileInput[] = [
  { name: 'hello.txt', data: utf8('Hello, Electron!\n'), mtime: EPOCH - 1 },
  {
    name: 'certs/ca.pem',
    data: utf8('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
    mtime: EPOCH - 2,
  },
  { name: 'all-bytes.bin', data: Uint8Array.from({ length: 256 }, (_, i) => i), mtime: EPOCH - 3 },
  { name: 'grüße/ünïcödé.txt', data: utf8('ünïcödé\n'), mtime: EPOCH - 4 },
  { name: 'a-name-of-exactly-31-bytes.bin', data: noise(1000, 1), mtime: EPOCH - 5 },
  { name: 'sound.raw', data: noise(20_000, 2), mtime: EPOCH - 6, contentType: 'audio/L8' },
  // Sorts last, so its addr equals totalSize: the boundary case.
  { name: 'zz-empty', data: new Uint8Array(0), mtime: EPOCH - 7 },
]

// Exactly fills the slot: the last byte of the last file is the slot's last byte.
const FULL: ImageFileInput[] = [
  { name: 'big.bin', data: noise(SLOT - 48 - 2 * 80 - 100, 3), mtime: EPOCH },
  { name: 'tail.bin', data: noise(100, 4), mtime: EPOCH },
]

// PEM-like text NUL-terminated as --nul-terminate stores it; zz-empty sorts
// last, so its terminator is the image's last byte.
const NUL_NAMES = new Set(['certs/ca.pem', 'hello.txt', 'zz-empty'])
const MIXED_NUL: ImageFileInput[] = MIXED.map((f) => ({ ...f, nulTerminate: NUL_NAMES.has(f.name) }))

const MANY: ImageFileInput[] = Array.from({ length: 300 }, (_, i) => ({
  name: `f/${String(i).padStart(3, '0')}.txt`,
  data: utf8(`file ${i}\n`.repeat(i % 5)),
  mtime: EPOCH + i,
}))

const build = (files: ImageFileInput[], align = 1) => buildImage(files, { epoch: EPOCH, align })

// Field offsets from the format description, independent of the builder.
const H = { magic: 0x00, version: 0x04, numFiles: 0x08, totalSize: 0x0c, crc: 0x10 }
const E = { name: 0x00, length: 0x24, addr: 0x28, contentType: 0x30 }
const entry = (i: number) => 48 + 80 * i

/** Writes a valid CRC, so the image is rejected for its structure only. */
function seal(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const totalSize = view.getUint32(H.totalSize, true)
  if (totalSize < 48 || totalSize > bytes.length) return bytes
  view.setUint32(H.crc, 0, true)
  view.setUint32(H.crc, CRC32.buf(bytes.subarray(0, totalSize)) >>> 0, true)
  return bytes
}

function patch(image: Uint8Array, edit: (view: DataView, bytes: Uint8Array) => void, reseal = true): Uint8Array {
  const bytes = image.slice()
  edit(new DataView(bytes.buffer), bytes)
  return reseal ? seal(bytes) : bytes
}

const u32 = (offset: number, value: number) => (view: DataView) => view.setUint32(offset, value, true)

function expectClean(run: { code: number; stderr: string }): void {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
}

/** The reader's view of every file matches the inputs and the TypeScript parser. */
function expectFiles(report: Report, image: Uint8Array, files: ImageFileInput[]): void {
  const parsed = parseImage(image)
  expect(parsed.valid).toBe(true)
  expect(
    report.files.map(({ index, name, contentType, modDate, length, addr }) => ({
      index,
      name,
      contentType,
      modDate,
      length,
      addr,
    })),
  ).toEqual(parsed.files)
  const byName = new Map(files.map((f) => [f.name, f]))
  for (const file of report.files) {
    const input = byName.get(file.name)!
    expect(file).toMatchObject({
      read: hex(input.data),
      zeroCopy: hex(input.data),
      dataRes: Res.NO_ERROR,
      addressMatches: true,
      eofRes: Res.END_OF_FILE,
    })
    expect(file.modDate).toBe(input.mtime)
    if (input.contentType) expect(file.contentType).toBe(input.contentType)
    // The byte after the data, if the image holds it, decides getFileDataWithNul.
    const after = file.addr + file.length < image.length ? image[file.addr + file.length] : undefined
    if (input.nulTerminate) expect(after).toBe(0)
    expect(file.nul).toEqual(
      after === 0
        ? { res: Res.NO_ERROR, length: file.length + 1, samePointer: true }
        : { res: Res.NOT_TERMINATED, length: 0, samePointer: false },
    )
    const first = input.data.length > 0 ? input.data[0] : -1
    expect(file.stream).toEqual({
      open: Res.NO_ERROR,
      timeout: 0,
      available: input.data.length,
      size: input.data.length,
      peek: first,
      data: hex(input.data),
      endAvailable: 0,
      endRead: -1,
      endPeek: -1,
      written: 0,
      writeError: 1,
      seekPastEnd: false,
      positionAfter: input.data.length,
      rewound: true,
      firstAgain: first,
    })
  }
  expect(report.files).toHaveLength(files.length)
  expect(report.end).toEqual({ index: files.length, res: Res.FILE_NOT_FOUND })
}

if (!hasGxx) console.warn('test/firmware: g++ is not installed, so the firmware reader tests are skipped (CI has g++).')
const BITS: Bits[] = [64, 32]
for (const bits of BITS.filter((b) => hasGxx && !canRun(b)))
  console.warn(
    `test/firmware: ${bits}-bit sanitized programs cannot be built or run here (g++-multilib; a kernel without IA-32 emulation needs qemu-user), so that run is skipped.`,
  )

describe.each(BITS.map((bits) => ({ bits, runnable: canRun(bits), sanitizers: runner(bits)?.label })))(
  'firmware reader, built with g++ at $bits bits, $sanitizers',
  ({ bits, runnable }) => {
    if (!runnable) {
      it.skip('needs g++ (and g++-multilib for 32 bits)', () => {})
      return
    }
    let harness: Harness
    beforeAll(async () => {
      harness = await Harness.build(bits)
    }, 120_000)
    afterAll(async () => {
      await harness?.dispose()
    })

    describe('valid images from buildImage', () => {
      it.each([
        { label: 'mixed files, packed', files: MIXED, align: 1 },
        { label: 'mixed files, 4-byte aligned', files: MIXED, align: 4 },
        { label: 'mixed files, some NUL-terminated', files: MIXED_NUL, align: 1 },
        { label: 'mixed files, some NUL-terminated, 4-byte aligned', files: MIXED_NUL, align: 4 },
        { label: 'an image that fills the slot', files: FULL, align: 1 },
        { label: '300 files', files: MANY, align: 1 },
      ])('reads back every file of $label byte for byte', async ({ files, align }) => {
        const image = build(files, align)
        const run = await harness.run(
          image,
          files.map((f) => f.name),
        )
        expectClean(run)
        expect(run.report).toMatchObject({ validate: Res.NO_ERROR, crc: Res.NO_ERROR })
        expectFiles(run.report, image, files)
        expect(run.report.lookups).toEqual(files.map((f) => ({ name: f.name, res: Res.NO_ERROR, data: hex(f.data) })))
      })

      it('finds a file by name when getFileByName is the first call', async () => {
        const run = await harness.run(build(MIXED), ['certs/ca.pem'])
        expectClean(run)
        expect(run.stdout.split('\n')[1]).toMatch(/^\{"event":"lookup"/)
        expect(run.report.lookups).toEqual([{ name: 'certs/ca.pem', res: Res.NO_ERROR, data: hex(MIXED[1].data) }])
      })

      it('reports a missing name as FILE_NOT_FOUND, also as the first call', async () => {
        const run = await harness.run(build(MIXED), ['missing.txt', 'hello.tx', 'HELLO.TXT'])
        expectClean(run)
        expect(run.report.lookups.map((l) => l.res)).toEqual([
          Res.FILE_NOT_FOUND,
          Res.FILE_NOT_FOUND,
          Res.FILE_NOT_FOUND,
        ])
      })

      it('refuses a FlashFileInfo that does not fit the image, null pointers and negative lengths', async () => {
        const run = await harness.run(build(MIXED))
        expectClean(run)
        expect(run.report.forged).toEqual({
          readRes: Res.INVALID_ARGUMENT,
          dataRes: Res.INVALID_ARGUMENT,
          addressIsNull: true,
          nullName: Res.INVALID_ARGUMENT,
          nullInfo: Res.INVALID_ARGUMENT,
          negativeLength: Res.INVALID_ARGUMENT,
          nulRes: Res.INVALID_ARGUMENT,
          nulNullLength: Res.INVALID_ARGUMENT,
          streamMissing: { open: Res.FILE_NOT_FOUND, available: 0, read: -1, peek: -1 },
        })
      })

      it('computes the standard CRC-32 check value', async () => {
        const run = await harness.run(build(MIXED))
        expect(run.report.crc32).toBe('cbf43926')
      })

      it(`runs with a ${bits}-bit size_t`, async () => {
        expect((await harness.run(build(MIXED))).report.sizeBits).toBe(bits)
      })
    })

    describe('hostile slots', () => {
      const base = build(MIXED.slice(0, 4))
      const totalSize = base.length
      const last = 3
      const lastAddr = new DataView(base.buffer).getUint32(entry(last) + E.addr, true)
      const blank = new Uint8Array(SLOT).fill(0xff)
      // All-zero bytes read as valid empty entries, so with a wrapped table size
      // only the table check stops reads running past the slot.
      const zeros = build([{ name: 'zeros.bin', data: new Uint8Array(SLOT - 48 - 80), mtime: EPOCH }])

      // Each is structurally broken (CRC resealed where it can be), so every call
      // must answer INVALID_FORMAT and nothing may read outside the slot.
      it.each([
        { label: 'a blank (erased) slot', slot: blank },
        { label: 'an image cut inside the header', slot: base.slice(0, H.totalSize) },
        { label: 'an image cut inside the first entry', slot: base.slice(0, entry(0) + E.length) },
        { label: 'an image cut before the second entry', slot: base.slice(0, entry(1)) },
        { label: 'a wrong magic', slot: patch(base, u32(H.magic, 0xe0917764)) },
        { label: 'a newer version', slot: patch(base, u32(H.version, 2)) },
        { label: 'totalSize one byte larger than the slot', slot: patch(base, u32(H.totalSize, SLOT + 1)) },
        { label: 'totalSize 0xFFFFFFFF', slot: patch(base, u32(H.totalSize, 0xffffffff)) },
        { label: 'totalSize smaller than the header', slot: patch(base, u32(H.totalSize, 47)) },
        { label: 'totalSize one byte short of the data', slot: patch(base, u32(H.totalSize, totalSize - 1)) },
        {
          label: 'numFiles whose table size wraps 2^32 (80 * 0x03333334 = 2^32 + 64)',
          slot: patch(zeros, u32(H.numFiles, 0x03333334)),
        },
        { label: 'numFiles 0xFFFFFFFF', slot: patch(zeros, u32(H.numFiles, 0xffffffff)) },
        {
          label: 'numFiles one more than totalSize can hold',
          slot: patch(zeros, u32(H.numFiles, Math.floor((SLOT - 48) / 80) + 1)),
        },
        {
          label: 'an entry starting at totalSize',
          slot: patch(base, (v) => {
            u32(entry(last) + E.addr, totalSize)(v)
            u32(entry(last) + E.length, 1)(v)
          }),
        },
        {
          label: 'an entry ending one byte past totalSize',
          slot: patch(base, u32(entry(last) + E.length, totalSize - lastAddr + 1)),
        },
        {
          label: 'an entry whose addr + length wraps 2^32',
          slot: patch(base, (v) => {
            u32(entry(0) + E.addr, 0xfffffff0)(v)
            u32(entry(0) + E.length, 0x20)(v)
          }),
        },
        { label: 'an entry whose length wraps 2^32', slot: patch(base, u32(entry(0) + E.length, 0xffffffff)) },
        { label: 'an entry beyond the slot', slot: patch(base, u32(entry(1) + E.addr, 0x00200000)) },
        {
          label: 'a name without a terminator',
          slot: patch(base, (_, b) => {
            b.fill(0x78, entry(2) + E.name, entry(2) + E.name + 32)
          }),
        },
        {
          label: 'a content type without a terminator',
          slot: patch(base, (_, b) => {
            b.fill(0x79, entry(2) + E.contentType, entry(2) + E.contentType + 32)
          }),
        },
      ])('rejects $label with INVALID_FORMAT', async ({ slot }) => {
        // hello.txt itself is intact: the whole image must be refused, not just bad entries.
        const run = await harness.run(slot, ['hello.txt'])
        expectClean(run)
        expect(run.report).toMatchObject({
          lookups: [{ name: 'hello.txt', res: Res.INVALID_FORMAT }],
          validate: Res.INVALID_FORMAT,
          crc: Res.INVALID_FORMAT,
          files: [],
          end: { index: 0, res: Res.INVALID_FORMAT },
          forged: {
            readRes: Res.INVALID_FORMAT,
            dataRes: Res.INVALID_FORMAT,
            addressIsNull: true,
            nulRes: Res.INVALID_FORMAT,
            streamMissing: { open: Res.INVALID_FORMAT, available: 0, read: -1, peek: -1 },
          },
        })
      })

      // Structurally sound but not the bytes that were built: only the CRC tells.
      it.each([
        { label: 'an image cut inside the file data (rest erased)', slot: base.slice(0, totalSize - 10) },
        {
          label: 'a flipped data byte',
          slot: patch(
            base,
            (_, b) => {
              b[lastAddr] ^= 0x01
            },
            false,
          ),
        },
        {
          label: 'a wrong stored CRC',
          slot: patch(
            base,
            (v) => {
              v.setUint32(H.crc, v.getUint32(H.crc, true) ^ 0x80000000, true)
            },
            false,
          ),
        },
      ])('reports $label as CRC_MISMATCH from validateCrc only', async ({ slot }) => {
        const run = await harness.run(slot, ['hello.txt'])
        expectClean(run)
        expect(run.report).toMatchObject({
          lookups: [{ res: Res.NO_ERROR }],
          validate: Res.NO_ERROR,
          crc: Res.CRC_MISMATCH,
        })
        expect(run.report.files).toHaveLength(4)
      })
    })

    describe('NUL terminators', () => {
      const image = build(MIXED_NUL)
      const files = parseImage(image).files
      const ca = files.find((f) => f.name === 'certs/ca.pem')!
      const last = files[files.length - 1]
      const nulOf = (report: Report, name: string) => report.files.find((f) => f.name === name)?.nul

      it('reports NOT_TERMINATED when the byte after the data is not a NUL', async () => {
        const run = await harness.run(
          patch(image, (_, b) => {
            b[ca.addr + ca.length] = 0x0a
          }),
        )
        expectClean(run)
        expect(nulOf(run.report, 'certs/ca.pem')).toEqual({ res: Res.NOT_TERMINATED, length: 0, samePointer: false })
      })

      it('does not take a NUL from outside the image', async () => {
        // totalSize cut by one: the stored terminator (still 0 in the slot) is past the image's end.
        const run = await harness.run(patch(image, u32(H.totalSize, image.length - 1)))
        expectClean(run)
        expect(run.report.validate).toBe(Res.NO_ERROR)
        expect(last.name).toBe('zz-empty')
        expect(nulOf(run.report, 'zz-empty')).toEqual({ res: Res.NOT_TERMINATED, length: 0, samePointer: false })
        expect(nulOf(run.report, 'certs/ca.pem')).toEqual({
          res: Res.NO_ERROR,
          length: ca.length + 1,
          samePointer: true,
        })
      })
    })
  },
)

describe.skipIf(!hasGxx)('firmware library, compiled for the device with the stand-in headers', () => {
  it('compiles the examples and a sketch written for the original API, as C++11', async () => {
    expectClean(await syntaxCheck([...LIBRARY_SOURCES, ...EXAMPLES, ORIGINAL_API_SKETCH]))
  })

  it.each([
    { label: 'the Photon', id: 6, message: 'overwritten by over-the-air system firmware updates' },
    { label: 'the P1', id: 8, message: 'overwritten by over-the-air system firmware updates' },
    { label: 'an Argon', id: 12, message: 'only the Electron and E-Series' },
  ])('refuses to compile for $label', async ({ id, message }) => {
    const run = await syntaxCheck(LIBRARY_SOURCES, [`-DPLATFORM_ID=${id}`])
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain(message)
  })
})
