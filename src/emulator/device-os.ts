/**
 * Normal mode: the board running Device OS (reference §5). What matters to a
 * flasher is how it gets into DFU mode:
 * - CDC SET_LINE_CODING to 14400 baud on interface 0 ("Serial") resets the
 *   board at once from the USB interrupt, before the status stage: the host's
 *   transfer never completes (it fails as the device drops off the bus).
 *   Other rates are stored and acknowledged (28800 = listening mode, not
 *   modelled); interface 3 (USBSerial1) never switches.
 * - Particle control request 50 (CTRL_REQUEST_DFU_MODE): INIT (0xC0, bRequest
 *   1, wIndex 50) answers OK with a request id; CHECK (bRequest 2, wIndex id)
 *   answers OK with result 0, and 1000 ms later the board resets into DFU.
 * - The raw Particle request 0x50 with wIndex 30 returns the system version.
 * Every other class or vendor request stalls; other control request types
 * answer INIT with status ERROR (not modelled).
 */
import { ACK, isIn, NO_REPLY, recipientOf, reply, requestKind, STALL, type BoardServices, type Firmware, type HandlerResult, type SetupPacket } from './setup.js'

export const DEVICE_OS_VERSION = '2.3.1'
export const DFU_SWITCH_BAUD = 14400
export const CTRL_REQUEST_DFU_MODE = 50

const CDC = { SET_LINE_CODING: 0x20, GET_LINE_CODING: 0x21, SET_CONTROL_LINE_STATE: 0x22, SEND_BREAK: 0x23 } as const
const SERVICE = { INIT: 1, CHECK: 2, RESET: 5 } as const
const STATUS = { OK: 0, ERROR: 1, NOT_FOUND: 5 } as const
const PARTICLE_RAW_REQUEST = 0x50
const RAW_SYSTEM_VERSION = 30
const CDC_INTERFACES = [0, 3]

export class DeviceOsFirmware implements Firmware {
  /** 9600 baud, 1 stop bit, no parity, 8 data bits, per CDC interface. */
  readonly #lineCoding = new Map(CDC_INTERFACES.map((i) => [i, Uint8Array.of(0x80, 0x25, 0, 0, 0, 0, 8)]))
  readonly #requests = new Set<number>()
  #nextId = 1
  readonly #board: BoardServices
  readonly #version: string
  /** The control request channel (INIT/CHECK) came with Device OS 0.8.0. */
  readonly #controlRequests: boolean

  constructor(board: BoardServices, version = DEVICE_OS_VERSION) {
    this.#board = board
    this.#version = version
    const [major, minor] = version.split('.').map(Number)
    this.#controlRequests = major > 0 || minor >= 8
  }

  configured(): void {}

  handle(setup: SetupPacket, data: Uint8Array): HandlerResult {
    const kind = requestKind(setup)
    if (kind === 'class' && recipientOf(setup) === 1) return this.#cdc(setup, data)
    if (kind === 'vendor' && setup.bmRequestType === 0xc0) return this.#control(setup)
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

  #control(setup: SetupPacket): HandlerResult {
    switch (setup.bRequest) {
      case PARTICLE_RAW_REQUEST:
        if (setup.wIndex !== RAW_SYSTEM_VERSION || setup.wLength === 0) return STALL
        // strncpy into the reply buffer, length strlen + 2 (sizeof of the literal, plus one): "2.3.1\0\0".
        return reply([...Buffer.from(this.#version, 'latin1'), 0, 0])
      case SERVICE.INIT:
      case SERVICE.CHECK:
      case SERVICE.RESET:
        if (!this.#controlRequests) return STALL
        return this.#service(setup)
      default:
        return STALL
    }
  }

  #service(setup: SetupPacket): HandlerResult {
    switch (setup.bRequest) {
      case SERVICE.INIT: {
        if (setup.wIndex !== CTRL_REQUEST_DFU_MODE) return reply(serviceReply(STATUS.ERROR))
        const id = this.#nextId++
        this.#requests.add(id)
        return reply(serviceReply(STATUS.OK, { id }))
      }
      case SERVICE.CHECK:
        if (!this.#requests.delete(setup.wIndex)) return reply(serviceReply(STATUS.NOT_FOUND))
        // The DFU request completes when its result is fetched; the system then waits 1 s and resets.
        this.#switchToDfu(this.#board.timing.dfuRequestSwitchMs)
        return reply(serviceReply(STATUS.OK, { result: 0 }))
      case SERVICE.RESET:
        if (setup.wIndex === 0) this.#requests.clear()
        else this.#requests.delete(setup.wIndex)
        return reply(serviceReply(STATUS.OK))
      default:
        return STALL
    }
  }

  #switchToDfu(afterMs: number): void {
    this.#board.reset(afterMs, 'dfu', { vanish: this.#board.faults.takeVanish() })
  }
}

/** Particle USB control service reply: u32 field flags (1 status, 2 id, 8 result), u16 status, then the optional fields. */
function serviceReply(status: number, fields: { id?: number; result?: number } = {}): Uint8Array {
  const out = new DataView(new ArrayBuffer(14))
  let flags = 0x01
  let offset = 6
  out.setUint16(4, status, true)
  if (fields.id !== undefined) {
    flags |= 0x02
    out.setUint16(offset, fields.id, true)
    offset += 2
  }
  if (fields.result !== undefined) {
    flags |= 0x08
    out.setInt32(offset, fields.result, true)
    offset += 4
  }
  out.setUint32(0, flags, true)
  return new Uint8Array(out.buffer, 0, offset)
}
