import { createHash } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { EmulatedElectron, EmulatedUsb, type EmulatorTimingName } from '../emulator/index.js'
import { FlashdataError } from '../errors.js'
import type { UsbBusLike, UsbConnectionListener, UsbDeviceLike } from '../usb/types.js'
import type { OpenedBus } from './open-bus.js'

/**
 * A flash file named by a 24-hex-digit serial gives the board that serial; a
 * "photon-" or "p1-" prefix makes it that (refused) platform, to try refusals.
 */
function boardFor(file: string): { serialNumber: string; platform: 'electron' | 'photon' | 'p1' } {
  const match = /^(?:(photon|p1)-)?(.*)$/.exec(basename(file, '.bin').toLowerCase())!
  const platform = (match[1] as 'photon' | 'p1' | undefined) ?? 'electron'
  const serialNumber = /^[0-9a-f]{24}$/.test(match[2]) ? match[2] : createHash('sha256').update(resolve(file)).digest('hex').slice(0, 24)
  return { serialNumber, platform }
}

function timingFrom(env: NodeJS.ProcessEnv): EmulatorTimingName {
  const timing = env.FLASHDATA_EMULATOR_TIMING ?? 'datasheet'
  if (timing !== 'datasheet' && timing !== 'instant') {
    throw new FlashdataError('BAD_OPTION', `FLASHDATA_EMULATOR_TIMING="${timing}" is not "datasheet" or "instant".`)
  }
  return timing
}

/**
 * Emulated boards backed by flash files. For a folder, the boards are its
 * *.bin files, re-read at every enumeration: adding a file plugs a board in,
 * removing it unplugs the board, so scripts and tests can play a bench.
 */
class EmulatorBus implements UsbBusLike {
  private readonly usb = new EmulatedUsb()
  private readonly boards = new Map<string, EmulatedElectron>()

  constructor(private readonly path: string, private readonly folder: boolean, private readonly env: NodeJS.ProcessEnv) {
    this.sync()
  }

  private files(): string[] {
    if (!this.folder) return [this.path]
    return readdirSync(this.path).filter((f) => f.endsWith('.bin')).sort().map((f) => join(this.path, f))
  }

  private sync(): void {
    const files = new Set(this.files())
    for (const [file, board] of this.boards) {
      if (files.has(file)) continue
      this.usb.detach(board)
      board.close()
      this.boards.delete(file)
    }
    for (const file of files) {
      if (this.boards.has(file)) continue
      const mode = this.env.FLASHDATA_EMULATOR_MODE === 'dfu' ? 'dfu' : 'normal'
      const board = new EmulatedElectron({ ...boardFor(file), flashFile: file, timing: timingFrom(this.env), mode })
      this.boards.set(file, board)
      this.usb.attach(board)
    }
  }

  async getDevices(): Promise<UsbDeviceLike[]> {
    if (this.folder) this.sync()
    return this.usb.getDevices()
  }

  addEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void {
    this.usb.addEventListener(type, listener)
  }

  removeEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void {
    this.usb.removeEventListener(type, listener)
  }

  close(): void {
    for (const board of this.boards.values()) board.close()
    this.boards.clear()
  }
}

export function openEmulatorBus(path: string, env: NodeJS.ProcessEnv): OpenedBus {
  const folder = (() => {
    try {
      return statSync(path).isDirectory()
    } catch {
      return false // a new flash file is created with sector 9 erased
    }
  })()
  const bus = new EmulatorBus(path, folder, env)
  return { bus, emulated: true, close: async () => bus.close() }
}
