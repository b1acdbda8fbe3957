/**
 * The media behind the DFU alternate settings (docs/electron-bootloader.md#address-rules,
 * docs/electron-bootloader.md#poll-timeout):
 * alt 0 internal flash, alt 1 DCT, alt 2 the P1's serial flash. Each answers
 * erase/write with success or failure (a failure becomes a stall of the
 * GETSTATUS that ran it) and reads without ever failing: exactly `length`
 * bytes, zeros where the address is out of range.
 */
import { FLASH_END, FLASH_SECTORS, padToWord, sectorContaining } from './flash.js'
import type { FlashOperation } from './faults.js'
import type { BoardServices, FunctionContext } from './setup.js'
import { programMs, sectorEraseMs } from './timing.js'

export interface DfuMedium {
  erase(address: number, context: FunctionContext): Promise<boolean>
  write(address: number, data: Uint8Array, context: FunctionContext): Promise<boolean>
  read(address: number, length: number): Uint8Array
  /** bwPollTimeout reported for a pending erase or write/SET_ADDRESS at `pointer`; undefined keeps the last value. */
  pollTimeout(kind: 'erase' | 'write', pointer: number): number | undefined
}

/** Erase and write are refused below 0x08020000 (sectors 0-4), whatever the layout string says. */
const FIRST_WRITABLE_ADDRESS = 0x08020000

/**
 * Runs a flash operation of `ms` modelled time. If the cable is pulled
 * during it (fault or bus.detach), the operation is torn: half done.
 */
async function timed(
  board: BoardServices,
  op: FlashOperation,
  context: FunctionContext,
  ms: number,
  run: (fraction: number) => void,
): Promise<void> {
  if (board.faults.takeDisconnect(op)) {
    await context.wait(ms / 2)
    run(0.5)
    board.unplug()
    await context.wait(0) // rejects: the board is gone
  }
  try {
    await context.wait(ms)
  } catch (error) {
    run(0.5)
    throw error
  }
  run(1)
}

export function internalFlash(board: BoardServices): DfuMedium {
  const { flash, faults, timing } = board
  const writable = (address: number) => address >= FIRST_WRITABLE_ADDRESS && address < FLASH_END
  return {
    async erase(address, context) {
      const sector = sectorContaining(address)
      if (!sector || !writable(address) || faults.takeFailErase()) return false
      await timed(board, 'erase', context, sectorEraseMs(timing, sector.size), (fraction) =>
        flash.erase(sector, fraction),
      )
      return true
    },
    async write(address, data, context) {
      const padded = padToWord(data)
      if (!writable(address) || address + padded.length > FLASH_END) return false
      const ms = programMs(timing, padded.length)
      if (faults.takeFailWrite()) {
        await context.wait(3 * ms)
        return false
      }
      let verified = false
      await timed(board, 'write', context, ms, (fraction) => {
        verified = flash.program(address, padded, fraction)
      })
      if (!verified) {
        // Two more write+verify passes, which cannot help: programming only clears bits.
        await context.wait(2 * ms)
        return false
      }
      const bad = faults.takeCorruption(address, padded.length)
      if (bad) flash.corruptWord(bad.address, bad.xor)
      return true
    },
    read: (address, length) => flash.read(address, length),
    pollTimeout: () => 0,
  }
}

const DCT_SIZE = 0x4000
/** Sector 1. The real DCT alternates between sectors 1 and 2; the emulator keeps it in sector 1. */
const DCT_SECTOR = FLASH_SECTORS[1]

export function dct(board: BoardServices): DfuMedium {
  const { flash, faults, timing } = board
  return {
    async erase(offset) {
      // The bootloader's DCT erase is a no-op that succeeds for any valid offset.
      return offset < DCT_SIZE && !faults.takeFailErase()
    },
    async write(offset, data, context) {
      if (offset >= DCT_SIZE || offset + data.length > DCT_SIZE || faults.takeFailWrite()) return false
      const updated = flash.read(DCT_SECTOR.address, DCT_SIZE)
      updated.set(data, offset)
      const ms = sectorEraseMs(timing, DCT_SECTOR.size) + programMs(timing, DCT_SIZE)
      await timed(board, 'write', context, ms, (fraction) => {
        flash.erase(DCT_SECTOR, Math.min(1, fraction * 2))
        if (fraction === 1) flash.program(DCT_SECTOR.address, updated)
      })
      return true
    },
    read: (offset, length) => {
      const out = new Uint8Array(length)
      if (offset < DCT_SIZE) out.set(flash.read(DCT_SECTOR.address + offset, Math.min(length, DCT_SIZE - offset)))
      return out
    },
    pollTimeout: (kind, pointer) => (pointer < DCT_SIZE ? (kind === 'erase' ? 500 : 1) : undefined),
  }
}

const SERIAL_FLASH_SIZE = 0x100000
const SERIAL_FLASH_SECTOR = 0x1000

/** The P1's external serial flash (256 x 4K); in memory only, not in the flash log. */
export function serialFlash(): DfuMedium {
  const bytes = new Uint8Array(SERIAL_FLASH_SIZE).fill(0xff)
  return {
    async erase(address) {
      if (address >= SERIAL_FLASH_SIZE) return false
      const start = address - (address % SERIAL_FLASH_SECTOR)
      bytes.fill(0xff, start, start + SERIAL_FLASH_SECTOR)
      return true
    },
    async write(address, data) {
      if (address + data.length > SERIAL_FLASH_SIZE) return false
      data.forEach((b, i) => {
        bytes[address + i] &= b
      })
      return data.every((b, i) => bytes[address + i] === b)
    },
    read: (address, length) => {
      const out = new Uint8Array(length)
      if (address < SERIAL_FLASH_SIZE) out.set(bytes.subarray(address, Math.min(address + length, SERIAL_FLASH_SIZE)))
      return out
    },
    pollTimeout: () => undefined,
  }
}
