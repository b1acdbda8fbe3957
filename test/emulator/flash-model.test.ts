// The STM32F2 flash model, checked against a plain reference model with random erase/program sequences.
import { describe, expect, it } from 'vitest'
import {
  FLASH_BASE,
  FLASH_SECTORS,
  FLASH_SIZE,
  FlashMemory,
  factoryFlashContents,
  sectorContaining,
} from '../../src/emulator/flash.js'
import { dfuBoard, erase, readAt, sameBytes, SECTOR_9, STATE, writeAt } from './helpers.js'

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The reference: a byte array where erase fills a sector with 0xFF and program ANDs the word-padded data in. */
class ReferenceFlash {
  bytes = factoryFlashContents()
  erase(index: number) {
    const s = FLASH_SECTORS[index]
    this.bytes.fill(0xff, s.address - FLASH_BASE, s.address - FLASH_BASE + s.size)
  }
  program(address: number, data: Uint8Array): boolean {
    const padded = new Uint8Array(Math.ceil(data.length / 4) * 4).fill(0xff)
    padded.set(data)
    let verified = true
    padded.forEach((b, i) => {
      this.bytes[address - FLASH_BASE + i] &= b
      if (this.bytes[address - FLASH_BASE + i] !== b) verified = false
    })
    return verified
  }
}

describe('flash geometry', () => {
  it('twelve sectors at 0x08000000: 4x16K, 64K, 7x128K; sector 9 is 0x080A0000', () => {
    expect(FLASH_SECTORS.map((s) => s.size / 1024)).toEqual([16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128])
    expect(FLASH_SECTORS[9].address).toBe(0x080a0000)
    expect(FLASH_SECTORS.at(-1)!.address + FLASH_SECTORS.at(-1)!.size).toBe(FLASH_BASE + FLASH_SIZE)
    expect(sectorContaining(0x080bffff)?.index).toBe(9)
    expect(sectorContaining(0x08100000)).toBeUndefined()
  })

  it('a board nobody wrote to has sector 9 erased and no 0xFF byte anywhere else, so stray writes show', () => {
    const bytes = factoryFlashContents()
    const sector9 = SECTOR_9 - FLASH_BASE
    expect(bytes.subarray(sector9, sector9 + 0x20000).every((b) => b === 0xff)).toBe(true)
    expect(bytes.subarray(0, sector9).includes(0xff)).toBe(false)
    expect(bytes.subarray(sector9 + 0x20000).includes(0xff)).toBe(false)
  })
})

describe('flash model against the reference (random sequences)', () => {
  it('erase restores 0xFF to the whole sector only; program only clears bits (old AND data), tails padded with 0xFF; verify iff the data reads back', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = random(seed)
      const flash = new FlashMemory()
      const reference = new ReferenceFlash()
      for (let step = 0; step < 60; step++) {
        const sector = FLASH_SECTORS[Math.floor(next() * FLASH_SECTORS.length)]
        if (next() < 0.25) {
          flash.erase(sector)
          reference.erase(sector.index)
          continue
        }
        const length = 1 + Math.floor(next() * 300)
        const address = sector.address + Math.floor((next() * (sector.size - 304)) / 4) * 4
        const data = Uint8Array.from({ length }, () => (next() < 0.5 ? 0xff : Math.floor(next() * 256)))
        expect(flash.program(address, data)).toBe(reference.program(address, data))
      }
      expect(sameBytes(flash.read(FLASH_BASE, FLASH_SIZE), reference.bytes)).toBe(true)
    }
  })

  it('the log lists every operation with its absolute address and (word-padded) length', () => {
    const flash = new FlashMemory()
    flash.erase(FLASH_SECTORS[9])
    flash.program(0x080a0010, Uint8Array.of(1, 2, 3))
    expect(flash.log).toEqual([
      { op: 'erase', address: 0x080a0000, length: 0x20000 },
      { op: 'program', address: 0x080a0010, length: 4 },
    ])
  })
})

describe('the same properties over the wire', () => {
  it('random DfuSe erases and writes in sector 9 leave exactly what the reference predicts, and a failed verify shows as a stall', async () => {
    const { emu, device } = await dfuBoard()
    const reference = new ReferenceFlash()
    const next = random(42)
    for (let step = 0; step < 40; step++) {
      if (next() < 0.15) {
        await erase(device, SECTOR_9 + Math.floor(next() * 0x20000))
        reference.erase(9)
        continue
      }
      const address = SECTOR_9 + Math.floor((next() * (0x20000 - 4096)) / 4) * 4
      const data = Uint8Array.from({ length: 1 + Math.floor(next() * 4096) }, () =>
        next() < 0.7 ? 0xff : Math.floor(next() * 256),
      )
      const verified = reference.program(address, data)
      const result = await writeAt(device, address, data)
      expect(result.first).toEqual(verified ? [0, 0, 0, 0, STATE.dfuDNBUSY, 0] : 'stall')
    }
    expect(
      sameBytes(
        emu.readFlash(SECTOR_9, 0x20000),
        reference.bytes.subarray(SECTOR_9 - FLASH_BASE, SECTOR_9 - FLASH_BASE + 0x20000),
      ),
    ).toBe(true)
    expect(await readAt(device, SECTOR_9 + 0x100, 64)).toEqual([
      ...reference.bytes.subarray(SECTOR_9 - FLASH_BASE + 0x100, SECTOR_9 - FLASH_BASE + 0x140),
    ])
    expect(emu.flashLog.every((entry) => entry.address >= SECTOR_9 && entry.address < SECTOR_9 + 0x20000)).toBe(true)
  })
})
