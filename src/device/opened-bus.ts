import type { UsbBusLike } from '../usb/types.js'

/** The bus a command talks to (openBus), real or emulated, and how to let it go. */
export interface OpenedBus {
  bus: UsbBusLike
  /** True for the emulated Electron (--emulator / FLASHDATA_EMULATOR). */
  emulated: boolean
  close(): Promise<void>
}
