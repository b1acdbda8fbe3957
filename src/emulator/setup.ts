/**
 * Shared vocabulary of the emulator's raw USB layer: setup packets as they
 * appear on the wire, the device's answers, and what firmware handlers (the
 * DFU bootloader, the normal-mode firmware) get from the board.
 */
import type { FaultInjector } from './faults.js'
import type { FlashMemory } from './flash.js'
import type { BoardMode, Platform } from './descriptors.js'
import type { EmulatorTiming } from './timing.js'

/** The 8-byte SETUP packet, decoded. Bit 7 of bmRequestType set = IN (device to host). */
export interface SetupPacket {
  bmRequestType: number
  bRequest: number
  wValue: number
  wIndex: number
  wLength: number
}

/**
 * The device's answer: 'ok' with the IN data (at most wLength bytes; empty
 * for OUT requests, i.e. the status stage is acknowledged) or 'stall'.
 */
export type SetupReply = { status: 'ok'; data: Uint8Array } | { status: 'stall' }

export const STALL: SetupReply = Object.freeze({ status: 'stall' })
export const ACK: SetupReply = Object.freeze({ status: 'ok', data: new Uint8Array(0) })
export const reply = (bytes: ArrayLike<number>): SetupReply => ({ status: 'ok', data: Uint8Array.from(bytes) })

/** A handler's way to say "this request is never answered" (the host times out). */
export const NO_REPLY = Symbol('no reply')
export type HandlerResult = SetupReply | typeof NO_REPLY

export const isIn = (setup: SetupPacket) => (setup.bmRequestType & 0x80) !== 0
export const requestKind = (setup: SetupPacket) =>
  (['standard', 'class', 'vendor', 'reserved'] as const)[(setup.bmRequestType >> 5) & 3]
export const recipientOf = (setup: SetupPacket) => setup.bmRequestType & 0x1f

/** What the board lends to the firmware it runs. */
export interface BoardServices {
  readonly platform: Platform
  readonly serialNumber: string
  /** The 12-byte device id, 24 hex digits. */
  readonly deviceId: string
  /** The serial number in OTP (15 printable characters), or null when the OTP holds none. */
  readonly otpSerial: string | null
  readonly flash: FlashMemory
  readonly faults: FaultInjector
  readonly timing: EmulatorTiming
  /**
   * Resets the board `afterMs` from now into `next` ('auto': the boot rule,
   * firmware mode if the module at 0x08020000 looks valid, else DFU mode);
   * `vanish` leaves it off the bus until replugged.
   */
  reset(afterMs: number, next: BoardMode | 'auto', options?: { vanish?: boolean }): void
  /** Pulls the cable now (fault injection). */
  unplug(): void
}

/** What the firmware gets from the USB function it sits behind, per request. */
export interface FunctionContext {
  /** The alternate setting currently selected on interface `iface`. */
  alternate(iface: number): number
  /** Lets modelled time pass; rejects once the board is reset or unplugged. */
  wait(ms: number): Promise<void>
}

/** The mode-specific part of the device: class and vendor requests. */
export interface Firmware {
  handle(setup: SetupPacket, data: Uint8Array, context: FunctionContext): HandlerResult | Promise<HandlerResult>
  /** SET_CONFIGURATION with a non-zero value. */
  configured(): void
}
