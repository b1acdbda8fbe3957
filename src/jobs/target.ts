import { SECTOR_ADDRESS, SECTOR_SIZE } from '../image/format.js'

/** Where the data goes: the Electron's sector 9, the "factory backup" slot. */
export const DATA_SECTOR = { start: SECTOR_ADDRESS, end: SECTOR_ADDRESS + SECTOR_SIZE } as const
export const DATA_SECTOR_SIZE = DATA_SECTOR.end - DATA_SECTOR.start

/** The 128 KiB target for an explicit --address on another DfuSe board. */
export function targetRange(address?: number): { start: number; end: number } {
  return address === undefined ? { ...DATA_SECTOR } : { start: address, end: address + DATA_SECTOR_SIZE }
}
