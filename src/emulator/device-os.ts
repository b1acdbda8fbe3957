/**
 * Normal mode: the board running Device OS (docs/electron-bootloader.md#firmware-mode,
 * docs/electron-bootloader.md#entering-dfu-mode).
 * - CDC SET_LINE_CODING to 14400 baud on interface 0 ("Serial") resets the
 *   board at once from the USB interrupt, before the status stage: the host's
 *   transfer never completes (it fails as the device drops off the bus).
 *   Other rates are stored and acknowledged (28800 = listening mode, not
 *   modelled); interface 3 (USBSerial1) never switches.
 * - Vendor requests to the device go to Device OS's control request channel
 *   (control-channel.ts, control-requests.ts): device id, serial number,
 *   version, mode, reset, DFU mode (request 50: the board resets into DFU
 *   1000 ms after the host has fetched the result), safe and listening mode.
 * Every other class or vendor request stalls.
 */
import { ControlChannel } from './control-channel.js'
import type { DeviceOsState } from './control-requests.js'
import {
  ACK,
  isIn,
  NO_REPLY,
  recipientOf,
  reply,
  requestKind,
  STALL,
  type BoardServices,
  type Firmware,
  type HandlerResult,
  type SetupPacket,
} from './setup.js'

export const DEVICE_OS_VERSION = '2.3.1'
const DFU_SWITCH_BAUD = 14400

const CDC = { SET_LINE_CODING: 0x20, GET_LINE_CODING: 0x21, SET_CONTROL_LINE_STATE: 0x22, SEND_BREAK: 0x23 } as const
const CDC_INTERFACES = [0, 3]

export class DeviceOsFirmware implements Firmware {
  /** 9600 baud, 1 stop bit, no parity, 8 data bits, per CDC interface. */
  readonly #lineCoding = new Map(CDC_INTERFACES.map((i) => [i, Uint8Array.of(0x80, 0x25, 0, 0, 0, 0, 8)]))
  readonly #board: BoardServices
  readonly #control: ControlChannel

  constructor(board: BoardServices, version = DEVICE_OS_VERSION) {
    this.#board = board
    const state: DeviceOsState = { deviceId: board.deviceId, otpSerial: board.otpSerial, version, listening: false }
    this.#control = new ControlChannel(
      state,
      (what, afterMs) => {
        // Safe mode is Device OS without the application: the same device on USB.
        if (what === 'dfu') this.#switchToDfu(afterMs)
        else board.reset(afterMs, 'firmware')
      },
      board.timing.controlResetMs,
    )
  }

  configured(): void {}

  handle(setup: SetupPacket, data: Uint8Array): HandlerResult {
    const kind = requestKind(setup)
    if (kind === 'class' && recipientOf(setup) === 1) return this.#cdc(setup, data)
    if (kind === 'vendor' && recipientOf(setup) === 0) return this.#control.handle(setup, data)
    return STALL
  }

  #cdc(setup: SetupPacket, data: Uint8Array): HandlerResult {
    const coding = this.#lineCoding.get(setup.wIndex)
    if (!coding) return STALL
    switch (setup.bRequest) {
      case CDC.SET_LINE_CODING: {
        if (isIn(setup) || data.length !== 7) return STALL
        coding.set(data)
        const baud = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true)
        if (setup.wIndex !== 0 || baud !== DFU_SWITCH_BAUD) return ACK
        this.#switchToDfu(this.#board.timing.lineCodingSwitchMs)
        return NO_REPLY
      }
      case CDC.GET_LINE_CODING:
        return isIn(setup) ? reply(coding) : STALL
      case CDC.SET_CONTROL_LINE_STATE:
      case CDC.SEND_BREAK:
        return isIn(setup) ? STALL : ACK
      default:
        return STALL
    }
  }

  #switchToDfu(afterMs: number): void {
    this.#board.reset(afterMs, 'dfu', { vanish: this.#board.faults.takeVanish() })
  }
}
