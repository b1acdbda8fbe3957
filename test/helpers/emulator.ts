import { EmulatedElectron, EmulatedUsb, type EmulatedElectronOptions } from '../../src/emulator/index.js'

export const DATA_SECTOR_ADDRESS = 0x080a0000

/** A bus with boards on it, in instant timing unless said otherwise. */
export function bench(...boards: EmulatedElectronOptions[]): { bus: EmulatedUsb; boards: EmulatedElectron[] } {
  const bus = new EmulatedUsb()
  const created = (boards.length ? boards : [{}]).map(
    (options) => new EmulatedElectron({ timing: 'instant', ...options }),
  )
  for (const board of created) bus.attach(board)
  return { bus, boards: created }
}

/** Flash operations a board saw, as short strings, for before/after comparisons. */
export function flashOps(board: EmulatedElectron): string[] {
  return board.flashLog.map((op) => `${op.op}@${op.address.toString(16)}+${op.length}`)
}

export function sectorBytes(board: EmulatedElectron, length: number): Uint8Array {
  return board.readFlash(DATA_SECTOR_ADDRESS, length)
}
