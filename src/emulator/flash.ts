/**
 * The STM32F205RG's 1 MiB internal flash as the bootloader sees it: twelve
 * sectors (4x16K, 64K, 7x128K) at 0x08000000, erased to 0xFF one whole sector
 * at a time, programmed one 32-bit word at a time where programming can only
 * clear bits (new = old AND data).
 *
 * Every erase and program lands in `log` with its absolute address and
 * length, so tests (and a global guard) can see exactly what a run touched.
 * An optional `persist` hook writes changed ranges through to a file.
 */
import { bytes } from '../text.js'

export const FLASH_BASE = 0x08000000
export const FLASH_SIZE = 0x100000
export const FLASH_END = FLASH_BASE + FLASH_SIZE
/** Sector 9, the factory-backup slot flashdata writes its image into. */
const DATA_SECTOR_ADDRESS = 0x080a0000
const DATA_SECTOR_SIZE = 0x20000

export interface FlashSector {
  index: number
  address: number
  size: number
}

const SECTOR_SIZES = [16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128].map((k) => k * 1024)

export const FLASH_SECTORS: readonly FlashSector[] = SECTOR_SIZES.reduce<FlashSector[]>((sectors, size, index) => {
  const previous = sectors[index - 1]
  const address = previous ? previous.address + previous.size : FLASH_BASE
  sectors.push({ index, address, size })
  return sectors
}, [])

export function sectorContaining(address: number): FlashSector | undefined {
  return FLASH_SECTORS.find((s) => address >= s.address && address < s.address + s.size)
}

export interface FlashLogEntry {
  op: 'erase' | 'program'
  /** Absolute address (0x08000000-based). */
  address: number
  length: number
  /** Set when power went away mid-operation and the operation was torn. */
  interrupted?: true
}

/**
 * The contents of a board nobody has written to: sector 9 erased, every other
 * sector a deterministic pattern with no 0xFF byte, standing for the
 * bootloader, DCT and firmware modules, so any stray write or erase shows.
 */
export function factoryFlashContents(): Uint8Array {
  if (!factoryTemplate) {
    factoryTemplate = new Uint8Array(FLASH_SIZE)
    for (let i = 0; i < FLASH_SIZE; i++) factoryTemplate[i] = (Math.imul(i, 0x9e3779b1) >>> 24) % 0xff
    const dataOffset = DATA_SECTOR_ADDRESS - FLASH_BASE
    factoryTemplate.fill(0xff, dataOffset, dataOffset + DATA_SECTOR_SIZE)
  }
  return factoryTemplate.slice()
}
let factoryTemplate: Uint8Array | undefined

export type PersistHook = (offset: number, bytes: Uint8Array) => void

/** The flash's bytes and the hook that keeps each change (openFlashFile keeps them in a file). */
export interface FlashFile {
  contents: Uint8Array
  persist: PersistHook
  /** Locks the file for this process and refreshes `contents` from it; BUSY or EMULATOR_READ_ONLY when it cannot be written here. */
  claim(): void
  release(): void
}

export class FlashMemory {
  readonly log: FlashLogEntry[] = []
  readonly #bytes: Uint8Array
  readonly #persist: PersistHook | undefined

  constructor(contents: Uint8Array = factoryFlashContents(), persist?: PersistHook) {
    if (contents.length !== FLASH_SIZE) throw new RangeError(`flash contents must be ${bytes(FLASH_SIZE)}`)
    this.#bytes = contents
    this.#persist = persist
  }

  /** Bytes at absolute addresses; addresses outside the flash read as 0 (as the bootloader's UPLOAD does). */
  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length)
    const start = Math.max(address, FLASH_BASE)
    const end = Math.min(address + length, FLASH_END)
    if (end > start) out.set(this.#bytes.subarray(start - FLASH_BASE, end - FLASH_BASE), start - address)
    return out
  }

  /** Erases the whole sector; `fraction` < 1 models an erase cut short (the first part reads 0xFF). */
  erase(sector: FlashSector, fraction = 1): void {
    const length = fraction >= 1 ? sector.size : Math.floor((sector.size * fraction) / 4) * 4
    this.#bytes.fill(0xff, sector.address - FLASH_BASE, sector.address - FLASH_BASE + length)
    this.log.push({
      op: 'erase',
      address: sector.address,
      length: sector.size,
      ...(fraction < 1 && { interrupted: true }),
    })
    this.#write(sector.address, length)
  }

  /**
   * Programs `data` (padded with 0xFF to whole words) at `address`, which must
   * lie inside the flash. Returns whether the read-back matches the padded
   * data, i.e. whether the bootloader's verify would pass. `fraction` < 1
   * programs only the first part of the words (power lost mid-write).
   */
  program(address: number, data: Uint8Array, fraction = 1): boolean {
    const padded = padToWord(data)
    if (address < FLASH_BASE || address + padded.length > FLASH_END) throw new RangeError('program outside the flash')
    const words = padded.length / 4
    const length = fraction >= 1 ? padded.length : Math.floor(words * fraction) * 4
    const base = address - FLASH_BASE
    for (let i = 0; i < length; i++) this.#bytes[base + i] &= padded[i]
    this.log.push({ op: 'program', address, length: padded.length, ...(fraction < 1 && { interrupted: true }) })
    this.#write(address, length)
    return this.#bytes.subarray(base, base + padded.length).every((b, i) => b === padded[i])
  }

  /** A bad cell: XORs a word after programming, unseen by the verify (fault injection). */
  corruptWord(address: number, xor: number): void {
    const base = (address & ~3) - FLASH_BASE
    for (let i = 0; i < 4; i++) this.#bytes[base + i] ^= (xor >>> (8 * i)) & 0xff
    this.#write(address & ~3, 4)
  }

  #write(address: number, length: number): void {
    if (length === 0 || !this.#persist) return
    const offset = address - FLASH_BASE
    this.#persist(offset, this.#bytes.subarray(offset, offset + length))
  }
}

export function padToWord(data: Uint8Array): Uint8Array {
  const length = Math.ceil(data.length / 4) * 4
  if (length === data.length) return data
  const padded = new Uint8Array(length).fill(0xff)
  padded.set(data)
  return padded
}
