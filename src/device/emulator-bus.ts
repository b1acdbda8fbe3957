import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import {
  EmulatedElectron,
  EmulatedUsb,
  openFlashFile,
  type BoardMode,
  type EmulatorTimingName,
  type FlashFile,
} from '../emulator/index.js'
import { unusableFlashFile } from '../emulator/flash-file.js'
import { FlashdataError } from '../errors.js'
import type { ClosableUsbBus, UsbConnectionListener, UsbDeviceLike } from '../usb/types.js'
import type { OpenedBus } from './opened-bus.js'

/**
 * A flash file named by a 24-hex-digit serial gives the board that serial; a
 * "photon-" or "p1-" prefix makes it that (refused) platform, to try refusals.
 * "<flash file>.serial", when it exists, holds the USB serial the board
 * reports instead, exactly (one final newline dropped): any text a device
 * could send, to try how flashdata takes a hostile one.
 */
type BoardIdentity = { serialNumber: string; platform: 'electron' | 'photon' | 'p1' }

function boardFor(file: string, reported: string | undefined): BoardIdentity {
  const match = /^(?:(photon|p1)-)?(.*)$/.exec(basename(file, '.bin').toLowerCase())!
  const platform = (match[1] as 'photon' | 'p1' | undefined) ?? 'electron'
  const serialNumber =
    reported ??
    (/^[0-9a-f]{24}$/.test(match[2]) ? match[2] : createHash('sha256').update(resolve(file)).digest('hex').slice(0, 24))
  return { serialNumber, platform }
}

/** The serial kept in "<flash file>.serial", if there is one; one that is not a regular file is refused, never read. */
function reportedSerial(file: string): string | undefined {
  const path = `${file}.serial`
  try {
    if (!statSync(path).isFile())
      throw new FlashdataError('INPUT_SPECIAL_FILE', `${path} is not a regular file, so it cannot hold a USB serial.`, {
        details: { path, sideFile: 'serial' },
      })
    return readFileSync(path, 'utf8').replace(/\n$/, '')
  } catch (error) {
    if (error instanceof FlashdataError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new FlashdataError('INPUT_UNREADABLE', `Cannot read ${path}: ${(error as Error).message}`, {
      details: { path, sideFile: 'serial' },
      cause: error,
    })
  }
}

function timingFrom(env: Record<string, string | undefined>): EmulatorTimingName {
  const timing = env.FLASHDATA_EMULATOR_TIMING ?? 'datasheet'
  if (timing !== 'datasheet' && timing !== 'instant') {
    throw new FlashdataError('BAD_OPTION', `FLASHDATA_EMULATOR_TIMING="${timing}" is not "datasheet" or "instant".`, {
      details: { option: 'FLASHDATA_EMULATOR_TIMING', value: timing },
    })
  }
  return timing
}

function modeFrom(env: Record<string, string | undefined>): BoardMode | undefined {
  const mode = env.FLASHDATA_EMULATOR_MODE
  if (mode === undefined || mode === '') return undefined
  if (mode !== 'dfu' && mode !== 'firmware') {
    throw new FlashdataError('BAD_OPTION', `FLASHDATA_EMULATOR_MODE="${mode}" is not "dfu" or "firmware".`, {
      details: { option: 'FLASHDATA_EMULATOR_MODE', value: mode },
    })
  }
  return mode
}

/**
 * A board stays in DFU mode between commands, as a real one does until it is
 * reset: "<flash file>.mode" holds "dfu" while it is; no such file means it
 * runs its firmware. Written only when the mode changes, so looking never writes.
 */
const modeFile = (flashFile: string) => `${flashFile}.mode`

/** The mode kept beside the flash file; a `.mode` that is not a regular file (a folder, a FIFO) is refused, never read. */
function savedMode(flashFile: string): BoardMode {
  const path = modeFile(flashFile)
  try {
    if (!statSync(path).isFile())
      throw new FlashdataError(
        'INPUT_SPECIAL_FILE',
        `${path} is not a regular file, so it cannot hold the mode the emulated board keeps beside its flash file.`,
        { details: { path, sideFile: 'mode' } },
      )
    return readFileSync(path, 'utf8').trim() === 'dfu' ? 'dfu' : 'firmware'
  } catch (error) {
    if (error instanceof FlashdataError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'firmware'
    throw new FlashdataError('INPUT_UNREADABLE', `Cannot read ${path}: ${(error as Error).message}`, {
      details: { path, sideFile: 'mode' },
      cause: error,
    })
  }
}

function saveMode(flashFile: string, mode: BoardMode): void {
  if (savedMode(flashFile) === mode) return
  try {
    if (mode === 'dfu') writeFileSync(modeFile(flashFile), 'dfu\n')
    else rmSync(modeFile(flashFile), { force: true })
  } catch (error) {
    throw new FlashdataError(
      'OUTPUT_UNWRITABLE',
      `Cannot keep the emulated board's mode in ${modeFile(flashFile)}: ${(error as Error).message}`,
      {
        details: { path: modeFile(flashFile), output: 'emulator-mode' },
        cause: error,
      },
    )
  }
}

/**
 * FLASHDATA_EMULATOR_FAIL_WRITE=<n>, for tests of failures through the CLI:
 * the n-th block write of the command fails as a bad flash cell does.
 */
function failWriteFrom(env: Record<string, string | undefined>): number | undefined {
  const value = env.FLASHDATA_EMULATOR_FAIL_WRITE
  if (value === undefined || value === '') return undefined
  if (!/^[1-9]\d{0,5}$/.test(value))
    throw new FlashdataError('BAD_OPTION', `FLASHDATA_EMULATOR_FAIL_WRITE="${value}" is not a block write's number.`, {
      details: { option: 'FLASHDATA_EMULATOR_FAIL_WRITE', value },
    })
  return Number(value)
}

interface EmulatorSettings {
  timing: EmulatorTimingName
  mode?: BoardMode
  failWrite?: number
}

/**
 * Emulated boards backed by flash files. For a folder, the boards are its
 * *.bin files, re-read at every enumeration: adding a file plugs a board in,
 * removing it unplugs the board, so scripts and tests can play a bench.
 */
class EmulatorBus implements ClosableUsbBus {
  private readonly usb = new EmulatedUsb()
  private readonly boards = new Map<string, EmulatedElectron>()
  /** Flash files in the folder that cannot be opened, each with why: their boards fail every use. */
  private readonly problems = new Map<string, FlashdataError>()

  constructor(
    private readonly path: string,
    private readonly folder: boolean,
    private readonly settings: EmulatorSettings,
  ) {
    this.sync()
  }

  private files(): string[] {
    if (!this.folder) return [this.path]
    let names: string[]
    try {
      names = readdirSync(this.path)
    } catch (error) {
      // The station's folder removed: every board is unplugged.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new FlashdataError(
        'INPUT_UNREADABLE',
        `Cannot list the emulated boards in ${this.path}: ${(error as Error).message}`,
        { details: { path: this.path }, cause: error },
      )
    }
    return names
      .filter((f) => f.endsWith('.bin'))
      .sort()
      .map((f) => join(this.path, f))
  }

  private unplug(file: string): void {
    const board = this.boards.get(file)!
    this.usb.detach(board)
    board.close()
    this.boards.delete(file)
    this.problems.delete(file)
  }

  private sync(): void {
    const files = new Set(this.files())
    for (const file of this.boards.keys()) if (!files.has(file)) this.unplug(file)
    for (const file of files) {
      // A broken file is tried again at each look: once it opens (a copy finished), the board is replugged.
      if (this.boards.has(file) && !this.problems.has(file)) continue
      let flash: FlashFile
      let mode: BoardMode
      let identity: BoardIdentity
      try {
        identity = boardFor(file, reportedSerial(file))
        flash = openFlashFile(file)
        mode = this.settings.mode ?? savedMode(file)
        saveMode(file, mode)
      } catch (error) {
        // One flash file is the command's board: its error is the command's. In a folder it is one board's.
        if (!this.folder || !(error instanceof FlashdataError)) throw error
        if (this.boards.has(file)) continue
        this.problems.set(file, error)
        // In DFU mode: a use opens the DFU interface at once and fails with the reason, not after a mode switch.
        this.attach(file, unusableFlashFile(error), 'dfu', boardFor(file, undefined))
        continue
      }
      if (this.boards.has(file)) this.unplug(file)
      this.attach(file, flash, mode, identity)
    }
  }

  private attach(file: string, flash: FlashFile, mode: BoardMode, identity: BoardIdentity): void {
    const board = new EmulatedElectron({ ...identity, flash, timing: this.settings.timing, mode, busPath: file })
    if (this.settings.failWrite !== undefined) board.faults.failNextWrite({ after: this.settings.failWrite - 1 })
    board.onDeviceChange((device) => {
      if (!device || this.problems.has(file)) return
      try {
        saveMode(file, board.mode)
      } catch {
        // Called from the board's reset timer, where a throw would end the process: close() saves it again and says so.
      }
    })
    this.boards.set(file, board)
    this.usb.attach(board)
  }

  unusable(device: UsbDeviceLike): FlashdataError | undefined {
    return device.bus === undefined ? undefined : this.problems.get(device.bus)
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

  /** Unplugs the boards, keeping the mode each is in or about to be in (a reset under way completes). */
  close(): void {
    for (const [file, board] of this.boards) {
      if (existsSync(file) && !this.problems.has(file)) saveMode(file, board.upcomingMode)
      board.close()
    }
    this.boards.clear()
  }
}

/**
 * `create: false` for commands that only look (devices, verify, pull): a
 * missing flash file is no board, not a new one.
 */
export function openEmulatorBus(
  path: string,
  env: Record<string, string | undefined>,
  { create = true } = {},
): OpenedBus {
  const settings = { timing: timingFrom(env), mode: modeFrom(env), failWrite: failWriteFrom(env) }
  const info = (() => {
    try {
      return statSync(path)
    } catch {
      return undefined // a new flash file is created with sector 9 erased
    }
  })()
  if (!info && !create) {
    throw new FlashdataError('NO_DEVICE', `No emulated board at ${path}: the file does not exist.`, {
      details: { emulator: path },
    })
  }
  const bus = new EmulatorBus(path, info?.isDirectory() === true, settings)
  return { bus, emulated: true, close: async () => bus.close() }
}
