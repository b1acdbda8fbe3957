import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage } from '../../src/image/index.js'
import { type Bits, Harness, Res, canRun, runner } from './harness.js'

/** FlashWriteResult (flash-sector-writer.h). */
const Write = {
  OK: 0,
  BUSY: 1,
  LOCKED: 2,
  OUT_OF_RANGE: 3,
  MISALIGNED: 4,
  NOT_ERASED: 5,
  WRITE_PROTECTED: 6,
  PROGRAM_ERROR: 7,
  OPERATION_ERROR: 8,
  VERIFY_FAILED: 9,
  INVALID_ARGUMENT: 10,
  BAD_HEADER: 11,
  TOO_LARGE: 12,
  NOT_STARTED: 13,
  HEADER_MISMATCH: 14,
  OVERFLOW: 15,
  INCOMPLETE: 16,
  CRC_MISMATCH: 17,
  INVALID_IMAGE: 18,
} as const

interface Case {
  case: string
  res: number
  writes: number
  erases: number
  erased9: number
  programmed: number
  changed: number[]
  locked: boolean
  irqMasked: boolean
  writesIrqOn: number
  faults: number
}

function lines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
}

for (const bits of [64, 32] as Bits[]) {
  describe.skipIf(!canRun(bits))(
    `sector 9 writer against the flash interface model, ${bits}-bit, ${runner(bits)?.label}`,
    () => {
      let driver: Harness
      beforeAll(async () => {
        driver = await Harness.build(bits, 'flash-write.cpp')
      }, 120_000)
      afterAll(async () => {
        await driver?.dispose()
      })

      async function scenario(name: string): Promise<Record<string, unknown>[]> {
        const run = await driver.exec(new Uint8Array(0), [name])
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
        const out = lines(run.stdout)
        expect(out.at(-1)).toEqual({ build: { sizeBits: bits } })
        return out.slice(0, -1)
      }

      it('models the flash interface as RM0033 documents it', async () => {
        const [{ model }] = await scenario('model')
        expect(model).toEqual({
          crIgnoredWhileLocked: 1,
          wrongKeyLocksUntilReset: 1,
          unlockedAfterReset: 1,
          busyAfterStart: 1,
          eraseTo0xff: 1,
          pgsWithoutPg: 1,
          pgpForWrongSize: 1,
          pgaMisaligned: 1,
          flagsClearByWritingOne: 1,
          programOnlyClears: 1,
          wrpOnProgram: 1,
          wrpOnErase: 1,
          cutBefore: 1,
          resetLocks: 1,
          cutAfter: 1,
        })
      })

      it('erases and programs sector 9 only, with interrupts masked, and locks the interface again', async () => {
        const out = (await scenario('writer')) as unknown as (Case & { all?: boolean; same?: boolean })[]
        const byName = Object.fromEntries(out.map((c) => [c.case, c]))
        // Every call leaves the interface locked (or as Device OS left it), interrupts as they were, no bus fault.
        for (const c of out.filter((c) => 'res' in c)) {
          expect({ case: c.case, irqMasked: c.irqMasked, writesIrqOn: c.writesIrqOn }).toEqual({
            case: c.case,
            irqMasked: false,
            writesIrqOn: 0,
          })
          if (c.case !== 'interface unlocked by Device OS') expect(c.locked, c.case).toBe(true)
          if (c.case !== 'locked until reset') expect(c.faults, c.case).toBe(0)
        }
        expect(byName.erase).toMatchObject({ res: Write.OK, erases: 1, erased9: 1, changed: [9] })
        expect(byName.erased.all).toBe(true)
        expect(byName.program).toMatchObject({ res: Write.OK, erases: 0, programmed: 63, changed: [9] })
        expect(byName.programmed.same).toBe(true)

        const refused = {
          "sector 8's last word": Write.OUT_OF_RANGE,
          'into sector 8': Write.OUT_OF_RANGE,
          'sector 10': Write.OUT_OF_RANGE,
          'past the end': Write.OUT_OF_RANGE,
          'sector 0': Write.OUT_OF_RANGE,
          'wraps around': Write.OUT_OF_RANGE,
          'length wraps': Write.OUT_OF_RANGE,
          'the whole flash': Write.OUT_OF_RANGE,
          'misaligned address': Write.MISALIGNED,
          'misaligned length': Write.MISALIGNED,
          'NULL data': Write.INVALID_ARGUMENT,
          'needs a 0 set to 1': Write.NOT_ERASED,
          '0xFF over 0': Write.NOT_ERASED,
        }
        for (const [name, res] of Object.entries(refused)) {
          // Refused before any register or flash write: nothing anywhere changed.
          expect(byName[name], name).toMatchObject({ res, writes: 0, erases: 0, programmed: 0, changed: [] })
        }
        expect(byName['same value again']).toMatchObject({ res: Write.OK, programmed: 1, changed: [] })

        const failed = {
          'erase, sector 9 write-protected': Write.WRITE_PROTECTED,
          'program, sector 9 write-protected': Write.WRITE_PROTECTED,
          PGPERR: Write.PROGRAM_ERROR,
          PGAERR: Write.PROGRAM_ERROR,
          PGSERR: Write.PROGRAM_ERROR,
          OPERR: Write.OPERATION_ERROR,
          'erase OPERR': Write.OPERATION_ERROR,
        }
        for (const [name, res] of Object.entries(failed)) {
          expect(byName[name], name).toMatchObject({ res, erases: 0, programmed: 0, changed: [] })
        }
        // Device OS mid-operation: not a single write, and its unlocked interface left as it was.
        expect(byName['interface unlocked by Device OS']).toMatchObject({ res: Write.BUSY, writes: 0, locked: false })
        expect(byName['interface busy']).toMatchObject({ res: Write.BUSY, writes: 0 })
        expect(byName['locked until reset']).toMatchObject({ res: Write.LOCKED, erases: 0, changed: [] })
      })
    },
  )
}

const utf8 = (s: string) => new TextEncoder().encode(s)
const pattern = (length: number, k: number) => Uint8Array.from({ length }, (_, i) => (i * k + 3) & 0xff)

// The image in sector 9 before the update, and the new one: PEM with its NUL,
// binary data, an odd total size (so the last word is partial).
const OLD = buildImage(
  [
    {
      name: 'certs/ca.pem',
      data: utf8('-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----\n'),
      mtime: 1,
      nulTerminate: true,
    },
    { name: 'blob.bin', data: pattern(900, 3), mtime: 2 },
  ],
  { epoch: 1_600_000_000 },
)
const NEW = buildImage(
  [
    {
      name: 'certs/ca.pem',
      data: utf8('-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n'),
      mtime: 5,
      nulTerminate: true,
    },
    { name: 'blob.bin', data: pattern(1201, 7), mtime: 6 },
    { name: 'odd.txt', data: utf8('odd'), mtime: 7 },
  ],
  { epoch: 1_700_000_000 },
)
/** An image that fills the sector. */
const FULL = buildImage([{ name: 'big.bin', data: pattern(131_072 - 48 - 80, 5), mtime: 1 }], { epoch: 1_700_000_000 })

for (const bits of [64, 32] as Bits[]) {
  describe.skipIf(!canRun(bits))(
    `updater and installer against the flash interface model, ${bits}-bit, ${runner(bits)?.label}`,
    () => {
      let driver: Harness
      let dir: string
      beforeAll(async () => {
        driver = await Harness.build(bits, 'flash-write.cpp')
        dir = await mkdtemp(join(tmpdir(), 'flashdata-update-'))
        await writeFile(join(dir, 'old.bin'), OLD)
      }, 120_000)
      afterAll(async () => {
        await driver?.dispose()
        if (dir) await rm(dir, { recursive: true, force: true })
      })

      async function scenario(image: Uint8Array, args: string[]): Promise<Record<string, unknown>[]> {
        const run = await driver.exec(image, [args[0], join(dir, 'old.bin'), ...args.slice(1)])
        expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
        const out = lines(run.stdout)
        expect(out.at(-1)).toEqual({ build: { sizeBits: bits } })
        return out.slice(0, -1)
      }

      it('writes the image in chunks of any size from 1 byte to 4 KiB, into sector 9 only', async () => {
        expect(NEW.length % 4).not.toBe(0)
        const sizes = [1, 2, 3, 4, 5, 47, 48, 49, 64, 100, 1000, 4095, 4096, 0]
        const out = await scenario(NEW, ['chunks', ...sizes.map(String)])
        expect(out).toEqual(
          sizes.map((chunk) => ({
            chunk,
            res: Write.OK,
            holdsImage: true,
            crc: 0,
            writesIrqOn: 0,
            faults: 0,
            changed: [9],
          })),
        )
      }, 60_000)

      it('refuses hostile headers and bad calls before erasing anything', async () => {
        const out = (await scenario(NEW, ['hostile'])) as { hostile?: string; res?: number }[]
        const refused = Object.fromEntries(out.filter((l) => l.hostile).map(({ hostile, ...rest }) => [hostile, rest]))
        const untouched = { writes: 0, oldIntact: true, oldValid: true }
        expect(refused).toEqual({
          'wrong magic': { res: Write.BAD_HEADER, ...untouched },
          'erased magic': { res: Write.BAD_HEADER, ...untouched },
          'version 2': { res: Write.BAD_HEADER, ...untouched },
          'totalSize 131073': { res: Write.TOO_LARGE, ...untouched },
          'totalSize 0xFFFFFFFF': { res: Write.TOO_LARGE, ...untouched },
          'totalSize 47': { res: Write.TOO_LARGE, ...untouched },
          'numFiles past totalSize': { res: Write.BAD_HEADER, ...untouched },
          'numFiles that wraps 80 x n': { res: Write.BAD_HEADER, ...untouched },
          '47 header bytes': { res: Write.BAD_HEADER, ...untouched },
          'NULL header': { res: Write.BAD_HEADER, ...untouched },
          'write before begin': { res: Write.NOT_STARTED, ...untouched },
          'end before begin': { res: Write.NOT_STARTED, ...untouched },
          'install: a copy with a wrong CRC': { res: Write.CRC_MISMATCH, ...untouched },
          'install: length not totalSize': { res: Write.BAD_HEADER, ...untouched },
          'installed flag': { installed: false },
        })
      })

      it('leaves no valid image when an update fails after the erase, and ends the update', async () => {
        const out = (await scenario(NEW, ['hostile'])) as { late?: string }[]
        const late = Object.fromEntries(out.filter((l) => l.late).map(({ late, ...rest }) => [late, rest]))
        const nothing = {
          next: Write.NOT_STARTED,
          validate: Res.INVALID_FORMAT,
          crc: Res.INVALID_FORMAT,
          magic: 0xffffffff,
        }
        expect(late).toEqual({
          'wrong CRC': { res: Write.CRC_MISMATCH, ...nothing },
          "header differs from begin's": { res: Write.HEADER_MISMATCH, ...nothing },
          'more bytes than totalSize': { res: Write.OVERFLOW, ...nothing },
          'end before the last byte': { res: Write.INCOMPLETE, ...nothing },
          'an entry outside the image': { res: Write.INVALID_IMAGE, validate: Res.INVALID_FORMAT, magic: 0xffffffff },
          abort: { next: Write.NOT_STARTED, validate: Res.INVALID_FORMAT, again: Write.OK, crc: Res.NO_ERROR },
        })
      })

      // A power cut before and after every register and flash write: the reader
      // finds the old image only before its magic is cleared, the new one only
      // once its magic is in, and nothing valid in between; the next try succeeds.
      for (const mode of ['update', 'install'] as const) {
        it(`survives a power cut at every write of an ${mode}, and the next ${mode} succeeds`, async () => {
          const [cuts] = await scenario(NEW, ['cuts', mode, '100', '1'])
          expect(cuts).toMatchObject({
            cuts: mode,
            res: Write.OK,
            mixed: 0,
            retryFailed: 0,
            otherSectors: 0,
            faults: 0,
            // After every cut the first word keeps bits 31 and 16: never factory firmware to Device OS.
            unguarded: 0,
          })
          const c = cuts as Record<string, number>
          expect(c.steps).toBeGreaterThan(500)
          expect(c.runs).toBe(2 * c.steps)
          expect(c.none + c.old + c.new).toBe(c.runs)
          // Old: cut at the first 5 writes (unlock, clear flags, PG, the magic's word itself, before it takes effect).
          expect({ old: c.old, lastOld: c.lastOld }).toEqual({ old: 9, lastOld: 4 })
          // New: only once the magic is programmed, at the final lock.
          expect({ new: c.new, firstNew: c.firstNew }).toEqual({ new: 2, firstNew: c.steps - 1 })
          expect(c.writesIrqOn).toBe(0)
        }, 120_000)
      }

      it('survives power cuts through a full 128 KiB update (every 997th write and the last 8)', async () => {
        const [cuts] = await scenario(FULL, ['cuts', 'update', '4096', '997'])
        expect(cuts).toMatchObject({
          cuts: 'update',
          res: Write.OK,
          mixed: 0,
          retryFailed: 0,
          otherSectors: 0,
          faults: 0,
          unguarded: 0,
        })
        const c = cuts as Record<string, number>
        expect(c.steps).toBeGreaterThan(40_000)
        expect(c.new).toBe(2)
      }, 120_000)

      it('installs a copy only when sector 9 differs from it', async () => {
        const [{ install }] = await scenario(NEW, ['install'])
        expect(install).toEqual({
          first: Write.OK,
          installed: true,
          second: Write.OK,
          installedAgain: false,
          writesAgain: 0,
          crc: Res.NO_ERROR,
        })
      })
    },
  )
}
