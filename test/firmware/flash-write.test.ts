import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bits, Harness, canRun } from './harness.js'

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
  describe.skipIf(!canRun(bits))(`sector 9 writer against the flash interface model, ${bits}-bit, ASan/UBSan`, () => {
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
  })
}
