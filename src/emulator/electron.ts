/**
 * EmulatedElectron: the whole board. It owns the flash (optionally kept in a
 * file), the fault injector and the timing, boots the DFU bootloader or
 * Device OS, and presents the running firmware on USB as `emu.device`.
 *
 * Lifecycle: a new board is plugged in and enumerated at once (`emu.device`
 * is ready). A reset (leave, the DFU switch) disconnects the current device,
 * then `reEnumerationMs` later a new device object with the same serial
 * appears, in firmware mode if the module at 0x08020000 looks valid (its first
 * word is not erased) and in DFU mode otherwise; the DFU switch always lands
 * in DFU mode. `unplug()` pulls the cable (the board is USB-powered, so an
 * erase or write in progress is torn); `plugIn()` powers it up again by the
 * same boot rule, or in the mode given (as if MODE were held).
 */
import { FlashdataError } from '../errors.js'
import { hex32 } from '../text.js'
import { dfuDescriptors, firmwareDescriptors, PLATFORMS, type BoardMode, type Platform } from './descriptors.js'
import { DfuBootloader } from './dfu-bootloader.js'
import { DEVICE_OS_VERSION, DeviceOsFirmware } from './device-os.js'
import { FaultInjector, type LeftoverDfuState } from './faults.js'
import { FLASH_BASE, FLASH_END, FlashMemory, type FlashFile, type FlashLogEntry } from './flash.js'
import type { BoardServices } from './setup.js'
import { ModelClock, resolveTiming, type EmulatorTiming, type TimingOption } from './timing.js'
import { EmulatedUsbDevice, type ClaimHooks } from './usb-device.js'
import { ElectronUsbFunction } from './usb-function.js'

export interface EmulatedElectronOptions {
  /** Reported in both modes, as any text (up to 126 UTF-16 units, what a string descriptor holds); default: a distinct 24-lowercase-hex id per board. */
  serialNumber?: string
  /** The USB serial in firmware mode when it differs (older Device OS reported others, such as 00000000050C); default serialNumber. */
  firmwareSerial?: string
  /** The 1 MiB flash and the hook that keeps each change (openFlashFile(path) keeps it in a file). Default: factory-fresh, in memory. */
  flash?: FlashFile
  timing?: TimingOption
  /** The firmware running when the board is created. Default 'dfu'. */
  mode?: BoardMode
  platform?: Platform
  /** Start the bootloader in a state left over from an interrupted session. */
  dfuState?: LeftoverDfuState
  /** The USB path the device reports (default "emulated-N"), e.g. the flash file's, so listings say which board is which. */
  busPath?: string
  /**
   * Device OS running in firmware mode (default 2.3.1). Before 0.8.0 there is no
   * control request 50: only the 14400-baud request switches it to DFU mode.
   */
  deviceOsVersion?: string
  /** The 12-byte device id (24 hex digits) control requests report; default: the serial if it is one, else a distinct id. */
  deviceId?: string
  /** The serial number in OTP (15 printable characters; null: none); default derived from the device id. */
  otpSerial?: string | null
}

export type DeviceChangeListener = (device: EmulatedUsbDevice | null, previous: EmulatedUsbDevice | null) => void
type Power = 'on' | 'resetting' | 'vanished' | 'unplugged'

const CORE_MODULE_ADDRESS = 0x08020000
const LEFTOVER_STATES: readonly LeftoverDfuState[] = ['dfuERROR', 'dfuDNLOAD-IDLE', 'dfuUPLOAD-IDLE']
const createdListeners = new Set<(board: EmulatedElectron) => void>()
let boardCount = 0

export class EmulatedElectron {
  /** Calls `listener` with every board created from now on (for test guards). Returns the unsubscribe function. */
  static observeCreated(listener: (board: EmulatedElectron) => void): () => void {
    createdListeners.add(listener)
    return () => createdListeners.delete(listener)
  }

  readonly serialNumber: string
  readonly firmwareSerial: string
  readonly deviceId: string
  readonly otpSerial: string | null
  readonly platform: Platform
  readonly timing: EmulatorTiming
  readonly faults: FaultInjector
  readonly #flash: FlashMemory
  readonly #clock = new ModelClock()
  readonly #port: number
  readonly #busPath: string | undefined
  readonly #listeners = new Set<DeviceChangeListener>()
  readonly #services: BoardServices
  #mode: BoardMode
  /** The firmware a pending reset or replug boots. */
  #next: BoardMode | 'auto' | undefined
  #power: Power = 'on'
  #function: ElectronUsbFunction | null = null
  #bootloader: DfuBootloader | null = null
  #device: EmulatedUsbDevice | null = null
  #timer: ReturnType<typeof setTimeout> | undefined
  #claimHooks: ClaimHooks | undefined

  readonly deviceOsVersion: string

  constructor(options: EmulatedElectronOptions = {}) {
    this.#port = ++boardCount
    this.#busPath = options.busPath
    this.deviceOsVersion = options.deviceOsVersion ?? DEVICE_OS_VERSION
    if (!/^\d+\.\d+\.\d+/.test(this.deviceOsVersion))
      throw new FlashdataError('BAD_OPTION', `Device OS version "${this.deviceOsVersion}" is not like 2.3.1`)
    this.platform = options.platform ?? 'electron'
    if (!(this.platform in PLATFORMS)) throw new FlashdataError('BAD_OPTION', `Unknown platform "${this.platform}"`)
    this.serialNumber = options.serialNumber ?? defaultSerial(this.#port)
    this.firmwareSerial = options.firmwareSerial ?? this.serialNumber
    // Any text a string descriptor can carry (bLength is one byte: 126 UTF-16 units): a device may report any.
    for (const serial of [this.serialNumber, this.firmwareSerial]) {
      if (serial.length > 126)
        throw new FlashdataError('BAD_OPTION', 'The serial number must fit a USB string descriptor: 126 UTF-16 units')
    }
    this.deviceId = (
      options.deviceId ?? (/^[0-9a-f]{24}$/i.test(this.serialNumber) ? this.serialNumber : defaultSerial(this.#port))
    ).toLowerCase()
    if (!/^[0-9a-f]{24}$/.test(this.deviceId))
      throw new FlashdataError('BAD_OPTION', 'The device id must be 24 hex digits')
    this.otpSerial = options.otpSerial === undefined ? defaultOtpSerial(this.deviceId) : options.otpSerial
    if (this.otpSerial !== null && !/^[\x21-\x7e]{15}$/.test(this.otpSerial))
      throw new FlashdataError('BAD_OPTION', 'The OTP serial number must be 15 printable characters')
    this.timing = resolveTiming(options.timing)
    const file = options.flash
    this.#flash = new FlashMemory(file?.contents, file?.persist)
    if (file) {
      // One lock for the board, held while any of its devices has an interface claimed.
      let claims = 0
      this.#claimHooks = {
        claim: () => {
          if (claims === 0) file.claim()
          claims++
        },
        release: () => {
          if (--claims === 0) file.release()
        },
      }
    }
    this.faults = new FaultInjector((state) => {
      if (!this.#bootloader) return false
      this.#bootloader.leaveStateAt(state)
      return true
    })
    this.#services = {
      platform: this.platform,
      serialNumber: this.serialNumber,
      deviceId: this.deviceId,
      otpSerial: this.otpSerial,
      flash: this.#flash,
      faults: this.faults,
      timing: this.timing,
      reset: (afterMs, next, resetOptions) => this.#reset(afterMs, next, resetOptions?.vanish ?? false),
      unplug: () => this.unplug(),
    }
    this.#mode = options.mode ?? 'dfu'
    if (this.#mode !== 'dfu' && this.#mode !== 'firmware')
      throw new FlashdataError('BAD_OPTION', `Unknown board mode "${this.#mode}"`)
    if (options.dfuState) {
      if (!LEFTOVER_STATES.includes(options.dfuState))
        throw new FlashdataError('BAD_OPTION', `Unknown DFU state "${options.dfuState}"`)
      this.faults.setDfuState(options.dfuState)
    }
    this.#boot(this.#mode)
    for (const listener of createdListeners) listener(this)
  }

  /** The current USB device, or null while the board is resetting, vanished or unplugged. */
  get device(): EmulatedUsbDevice | null {
    return this.#device
  }

  /** The raw USB layer of the running firmware (null when there is no device), e.g. for a gadget bridge. */
  get usbFunction(): ElectronUsbFunction | null {
    return this.#function
  }

  /** The firmware last booted. */
  get mode(): BoardMode {
    return this.#mode
  }

  /** The firmware running, or the one a pending reset or replug will boot (what the board is about to be). */
  get upcomingMode(): BoardMode {
    if (this.#next === undefined) return this.#mode
    return this.#next === 'auto' ? this.#bootRule() : this.#next
  }

  get plugged(): boolean {
    return this.#power !== 'unplugged'
  }

  /** Every erase and program so far, with absolute addresses (DFU alt 0 and DCT writes alike). */
  get flashLog(): readonly FlashLogEntry[] {
    return this.#flash.log
  }

  /** Flash contents at absolute addresses 0x08000000-0x080FFFFF. */
  readFlash(address: number, length: number): Uint8Array {
    if (
      !Number.isInteger(address) ||
      !Number.isInteger(length) ||
      length < 0 ||
      address < FLASH_BASE ||
      address + length > FLASH_END
    ) {
      throw new RangeError(`readFlash(${hex32(address)}, ${length}) is outside 0x08000000-0x080FFFFF`)
    }
    return this.#flash.read(address, length)
  }

  /**
   * Programs flash the way a factory's SWD programmer does, without USB (the
   * bytes AND into what is there, as NOR flash programs): a board that
   * arrives holding data someone else put there.
   */
  programFlash(address: number, bytes: Uint8Array): void {
    this.#flash.program(address, bytes)
  }

  /** Calls `listener(device, previous)` whenever the device appears or goes away. Returns the unsubscribe function. */
  onDeviceChange(listener: DeviceChangeListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The next device the board presents (after a reset or replug), not the current one. */
  nextDevice(): Promise<EmulatedUsbDevice> {
    return new Promise((resolve) => {
      const off = this.onDeviceChange((device) => {
        if (!device) return
        off()
        resolve(device)
      })
    })
  }

  /** Pulls the cable: transfers in flight and later reject, the board loses power. */
  unplug(): void {
    clearTimeout(this.#timer)
    this.#power = 'unplugged'
    this.#disconnect()
  }

  /** Shuts the board down for good: unplugged, no reset pending. The flash file (if any) stays as it is. */
  close(): void {
    this.unplug()
  }

  /** Plugs the cable back in (or replugs a vanished board): it boots after the re-enumeration delay. */
  plugIn(options: { mode?: BoardMode } = {}): void {
    if (this.#power !== 'unplugged' && this.#power !== 'vanished') return
    this.#power = 'resetting'
    this.#next = options.mode ?? 'auto'
    this.#timer = setTimeout(() => this.#boot(options.mode ?? this.#bootRule()), this.timing.reEnumerationMs)
  }

  #reset(afterMs: number, next: BoardMode | 'auto', vanish: boolean): void {
    if (this.#power !== 'on' || this.#timer) return
    if (!vanish) this.#next = next
    this.#timer = setTimeout(() => {
      this.#disconnect()
      if (vanish) {
        this.#power = 'vanished'
        this.#timer = undefined
        return
      }
      this.#power = 'resetting'
      this.#timer = setTimeout(() => this.#boot(next === 'auto' ? this.#bootRule() : next), this.timing.reEnumerationMs)
    }, afterMs)
  }

  #bootRule(): BoardMode {
    const firstWord = this.#flash.read(CORE_MODULE_ADDRESS, 4)
    return firstWord.every((b) => b === 0xff) ? 'dfu' : 'firmware'
  }

  #boot(mode: BoardMode): void {
    this.#timer = undefined
    this.#next = undefined
    this.#power = 'on'
    this.#mode = mode
    const platform = PLATFORMS[this.platform]
    if (mode === 'dfu') {
      this.#bootloader = new DfuBootloader(this.#services, platform.serialFlash)
      this.#function = new ElectronUsbFunction(
        mode,
        dfuDescriptors(this.platform, this.serialNumber),
        this.#bootloader,
        this.timing,
        this.#clock,
      )
    } else {
      this.#bootloader = null
      this.#function = new ElectronUsbFunction(
        mode,
        firmwareDescriptors(this.platform, this.firmwareSerial),
        new DeviceOsFirmware(this.#services, this.deviceOsVersion),
        this.timing,
        this.#clock,
      )
    }
    this.#function.enumerate()
    const leftover = this.#bootloader && this.faults.takeDfuState()
    if (leftover) this.#bootloader?.leaveStateAt(leftover)
    this.#device = new EmulatedUsbDevice(this.#function, this.#port, this.#busPath, this.#claimHooks)
    this.#notify(this.#device, null)
  }

  #disconnect(): void {
    const previous = this.#device
    this.#function?.end()
    this.#function = null
    this.#bootloader = null
    this.#device = null
    if (previous) this.#notify(null, previous)
  }

  #notify(device: EmulatedUsbDevice | null, previous: EmulatedUsbDevice | null): void {
    for (const listener of [...this.#listeners]) listener(device, previous)
  }
}

function defaultSerial(port: number): string {
  return `e1ec7200${port.toString(16).padStart(16, '0')}`
}

/** A made-up serial in the 15-character form Device OS reads from OTP (the real ones are printed on the board). */
function defaultOtpSerial(deviceId: string): string {
  return `EMU${deviceId.slice(-12).toUpperCase()}`
}
