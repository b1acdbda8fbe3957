import { EmulatedElectron } from '../../src/emulator/index.js'

/** Sector 9, the only flash any flashdata code path may erase or write. */
export const DATA_SECTOR = { start: 0x080a0000, end: 0x080c0000 }

const created: EmulatedElectron[] = []
const exempt = new WeakSet<EmulatedElectron>()

EmulatedElectron.observeCreated((board) => created.push(board))

/**
 * For the few emulator tests that prove how the bootloader treats other
 * sectors: this board's writes outside sector 9 are intended.
 */
export function allowWritesOutsideDataSector(board: EmulatedElectron): EmulatedElectron {
  exempt.add(board)
  return board
}

/** Every erase or program a board of this test saw outside sector 9 (should be none). */
export function strayFlashOperations(): string[] {
  const boards = created.splice(0)
  const stray: string[] = []
  for (const board of boards) {
    if (exempt.has(board)) continue
    for (const op of board.flashLog) {
      if (op.address < DATA_SECTOR.start || op.address + op.length > DATA_SECTOR.end) {
        stray.push(`${board.serialNumber}: ${op.op} at 0x${op.address.toString(16)} (${op.length} bytes)`)
      }
    }
  }
  return stray
}
