import { open } from 'node:fs/promises'
import { EmulatedElectron, openFlashFile } from '../../src/emulator/index.js'
import { pseudoRandomBytes } from './files.js'

/**
 * An Electron user-part binary as Particle's tools build one for the factory
 * slot: module_info_t at offset 0 (start 0x08080000, the user part's address;
 * platform 10; function 5, index 1; depends on system part 2 version 1512),
 * code, and a CRC-32 at the end. `particle flash --usb --factory` writes it
 * unchanged to 0x080A0000.
 */
export function factoryModule(length = 6000, moduleVersion = 6): Uint8Array {
  const bytes = pseudoRandomBytes(length, 77)
  const view = new DataView(bytes.buffer)
  view.setUint32(0, 0x08080000, true)
  view.setUint32(4, 0x08080000 + length - 4, true)
  view.setUint8(8, 0)
  view.setUint8(9, 0)
  view.setUint16(10, moduleVersion, true)
  view.setUint16(12, 10, true)
  view.setUint8(14, 5)
  view.setUint8(15, 1)
  view.setUint8(16, 4)
  view.setUint8(17, 2)
  view.setUint16(18, 1512, true)
  view.setUint32(20, 0, true)
  return bytes
}

/** Writes bytes into a board's flash file at an absolute address, as dfu-util would have left them. */
export async function writeFlashFileAt(flashFile: string, address: number, bytes: Uint8Array): Promise<void> {
  new EmulatedElectron({ flash: openFlashFile(flashFile), timing: 'instant' }).close() // creates it factory-fresh if missing
  const handle = await open(flashFile, 'r+')
  try {
    await handle.write(bytes, 0, bytes.length, address - 0x08000000)
  } finally {
    await handle.close()
  }
}
