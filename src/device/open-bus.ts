import type { OpenedBus } from './opened-bus.js'

export interface OpenBusOptions {
  /** A flash file (one emulated board) or a folder (one board per *.bin file). */
  emulator?: string
  env?: Record<string, string | undefined>
  /** Whether a missing emulator flash file becomes a new board (false for commands that only look). Default true. */
  create?: boolean
}

/**
 * The bus a command talks to: the real USB bus, or emulated Electrons whose
 * flash persists in files. Both are loaded lazily, so commands that never
 * touch a board start fast.
 */
export async function openBus(options: OpenBusOptions = {}): Promise<OpenedBus> {
  const env = options.env ?? process.env
  const emulator = options.emulator ?? env.FLASHDATA_EMULATOR
  if (emulator) {
    const { openEmulatorBus } = await import('./emulator-bus.js')
    return openEmulatorBus(emulator, env, { create: options.create })
  }
  const { openSystemUsb } = await import('./system-usb.js')
  const bus = await openSystemUsb()
  return { bus, emulated: false, close: async () => bus.close() }
}
