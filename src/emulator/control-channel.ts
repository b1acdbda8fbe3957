/**
 * Device OS's USB control request channel: vendor requests to the device
 * (bmRequestType 0xC0 / 0x40), as Device OS 2.3.1 answers them.
 *
 * Source: particle-iot/device-os tag v2.3.1,
 * system/src/usb_control_request_channel.cpp (cited by line below) and
 * hal/src/stm32f2xx/usb_hal.c HAL_USB_Handle_Vendor_Request (lines 100-181:
 * an IN request longer than 64 bytes reaches the channel without a buffer,
 * an OUT request's data stage completes before the channel sees it).
 * - bRequest 1-15 are service requests (line 166): INIT (1) registers a
 *   request of type wIndex with a wValue-byte payload, CHECK (2) reports its
 *   state, SEND (3, OUT) delivers the payload, RECV (4) fetches the reply,
 *   RESET (5) cancels one request or all. Replies: u32 field flags (1 status,
 *   2 id, 4 size, 8 result), u16 status, then the flagged fields (lines 100-128).
 * - bRequest 0x50 ('P') with wIndex = a request type is the raw channel
 *   (lines 499-552): IN 20 device id as upper-case hex, IN 30 the version
 *   string without its NUL, OUT 40 resets at once, OUT 302 disconnects from
 *   the cloud.
 * Device OS before 0.8.0 (system/src/system_control.cpp at v0.7.0) has only
 * the raw channel, with other reply formats.
 */
import { processControlRequest, SYSTEM_ERROR, type AfterReply, type DeviceOsState } from './control-requests.js'
import { ACK, isIn, NO_REPLY, reply, STALL, type HandlerResult, type SetupPacket } from './setup.js'

const PARTICLE_RAW_REQUEST = 0x50
const SERVICE = { INIT: 1, CHECK: 2, SEND: 3, RECV: 4, RESET: 5 } as const
const STATUS = { OK: 0, ERROR: 1, PENDING: 2, BUSY: 3, NO_MEMORY: 4, NOT_FOUND: 5 } as const
/** usb_control_request_channel.h lines 31-37, and MIN_WLENGTH (usb_control_request_channel.cpp line 45). */
const MAX_ACTIVE = 4
const MAX_POOLED_PAYLOAD = 64
const MIN_WLENGTH = 64
const EP0_PACKET = 64
const RAW = { DEVICE_ID: 20, SYSTEM_VERSION: 30, RESET: 40, DFU_MODE: 50, CLOUD_DISCONNECT: 302 } as const

interface Request {
  readonly id: number
  readonly type: number
  state: 'recv-payload' | 'done'
  readonly payload: Uint8Array
  offset: number
  result: number
  reply: Uint8Array
  after?: AfterReply
}

/** What the channel asks of the board: a reset into the firmware ('reset'), DFU mode or safe mode. */
export type ResetRequest = (what: AfterReply | 'now', afterMs: number) => void

export class ControlChannel {
  readonly #active: Request[] = []
  #lastId = 0
  readonly #state: DeviceOsState
  readonly #reset: ResetRequest
  readonly #afterReplyMs: number
  /** Device OS 0.8.0 brought the service requests; before it only the raw channel answers. */
  readonly #services: boolean

  constructor(state: DeviceOsState, reset: ResetRequest, afterReplyMs: number) {
    this.#state = state
    this.#reset = reset
    this.#afterReplyMs = afterReplyMs
    const [major, minor] = state.version.split('.').map(Number)
    this.#services = major > 0 || minor >= 8
  }

  handle(setup: SetupPacket, data: Uint8Array): HandlerResult {
    if (setup.bRequest >= 0x01 && setup.bRequest <= 0x0f) return this.#services ? this.#service(setup, data) : STALL
    if (setup.bRequest !== PARTICLE_RAW_REQUEST) return STALL
    if (isIn(setup)) {
      // The HAL gives the channel a buffer only for a data stage of 1-64 bytes.
      if (setup.wLength === 0 || setup.wLength > EP0_PACKET) return STALL
      return this.#services ? this.#rawIn(setup) : this.#legacyRawIn(setup)
    }
    return this.#rawOut(setup)
  }

  #service(setup: SetupPacket, data: Uint8Array): HandlerResult {
    switch (setup.bRequest) {
      case SERVICE.INIT:
        return this.#init(setup)
      case SERVICE.CHECK:
        return this.#check(setup)
      case SERVICE.SEND:
        return this.#send(setup, data)
      case SERVICE.RECV:
        return this.#recv(setup)
      case SERVICE.RESET:
        return this.#cancel(setup)
      default:
        return STALL // lines 288-289
    }
  }

  /** Lines 294-355. */
  #init(setup: SetupPacket): HandlerResult {
    if (!isIn(setup) || setup.wLength < MIN_WLENGTH) return STALL
    if (this.#active.length >= MAX_ACTIVE) return serviceReply(setup, { status: STATUS.BUSY })
    this.#lastId = (this.#lastId + 1) & 0xffff
    const request: Request = {
      id: this.#lastId,
      type: setup.wIndex,
      state: 'recv-payload',
      payload: new Uint8Array(setup.wValue),
      offset: 0,
      result: SYSTEM_ERROR.UNKNOWN,
      reply: new Uint8Array(0),
    }
    this.#active.push(request)
    if (setup.wValue === 0) this.#process(request)
    // A payload over 64 bytes is allocated by the system thread: PENDING until a later CHECK.
    const status = setup.wValue > MAX_POOLED_PAYLOAD ? STATUS.PENDING : STATUS.OK
    return serviceReply(setup, { status, id: request.id })
  }

  /** Lines 358-399. */
  #check(setup: SetupPacket): HandlerResult {
    if (!isIn(setup) || setup.wLength < MIN_WLENGTH) return STALL
    const request = this.#find(setup.wIndex)
    if (!request) return serviceReply(setup, { status: STATUS.NOT_FOUND })
    if (request.state === 'recv-payload') return serviceReply(setup, { status: STATUS.OK })
    if (request.reply.length > 0)
      return serviceReply(setup, { status: STATUS.OK, size: request.reply.length, result: request.result })
    // No reply data: the request completes once this reply has gone out (lines 686-694).
    this.#finish(request)
    return serviceReply(setup, { status: STATUS.OK, result: request.result })
  }

  /** Lines 402-436. */
  #send(setup: SetupPacket, data: Uint8Array): HandlerResult {
    const request = this.#find(setup.wIndex)
    if (
      isIn(setup) ||
      !request ||
      request.state !== 'recv-payload' ||
      request.offset + setup.wLength > request.payload.length
    )
      return STALL
    request.payload.set(data.subarray(0, setup.wLength), request.offset)
    request.offset += setup.wLength
    if (request.offset === request.payload.length) this.#process(request)
    return ACK
  }

  /** Lines 439-466; the request completes when its last byte has gone out. */
  #recv(setup: SetupPacket): HandlerResult {
    const request = this.#find(setup.wIndex)
    if (
      !isIn(setup) ||
      !request ||
      request.state !== 'done' ||
      setup.wLength === 0 ||
      request.offset + setup.wLength > request.reply.length
    )
      return STALL
    const chunk = request.reply.slice(request.offset, request.offset + setup.wLength)
    request.offset += setup.wLength
    if (request.offset === request.reply.length) this.#finish(request)
    return reply(chunk)
  }

  /** Lines 469-496. A cancelled request that was already processed still runs what follows its reply. */
  #cancel(setup: SetupPacket): HandlerResult {
    if (!isIn(setup) || setup.wLength < MIN_WLENGTH) return STALL
    if (setup.wIndex !== 0) {
      const request = this.#find(setup.wIndex)
      if (!request) return serviceReply(setup, { status: STATUS.NOT_FOUND })
      this.#finish(request)
    } else {
      for (const request of [...this.#active]) this.#finish(request)
    }
    return serviceReply(setup, { status: STATUS.OK })
  }

  #process(request: Request): void {
    const outcome = processControlRequest(request.type, request.payload, this.#state)
    request.state = 'done'
    request.offset = 0
    request.result = outcome.result
    request.reply = outcome.reply ?? new Uint8Array(0)
    request.after = outcome.after
  }

  #finish(request: Request): void {
    this.#active.splice(this.#active.indexOf(request), 1)
    if (request.state === 'done' && request.after) this.#reset(request.after, this.#afterReplyMs)
  }

  #find(id: number): Request | undefined {
    return this.#active.find((r) => r.id === id)
  }

  /** Lines 511-531. */
  #rawIn(setup: SetupPacket): HandlerResult {
    switch (setup.wIndex) {
      case RAW.DEVICE_ID: {
        const hex = this.#state.deviceId.toUpperCase()
        return setup.wLength < hex.length ? STALL : reply(ascii(hex))
      }
      case RAW.SYSTEM_VERSION:
        return setup.wLength < this.#state.version.length ? STALL : reply(ascii(this.#state.version))
      default:
        return STALL
    }
  }

  /**
   * Device OS 0.7.0 (system/src/system_control.cpp lines 157-192): the device id as a NUL-terminated
   * string (wValue 1: the 12 raw bytes); the version strncpy'd with a length of sizeof("\"x.y.z\"") + 1,
   * so the reply carries two NULs after "0.7.0".
   */
  #legacyRawIn(setup: SetupPacket): HandlerResult {
    switch (setup.wIndex) {
      case RAW.DEVICE_ID: {
        const hex = this.#state.deviceId.toUpperCase()
        if (setup.wValue === 1) return setup.wLength < 12 ? STALL : reply(hex.match(/../g)!.map((b) => parseInt(b, 16)))
        return setup.wLength < hex.length + 1 ? STALL : reply([...ascii(hex), 0])
      }
      case RAW.SYSTEM_VERSION:
        return reply([...ascii(this.#state.version), 0, 0].slice(0, setup.wLength))
      default:
        return STALL
    }
  }

  /**
   * OUT 40 resets from the USB interrupt, before the status stage: the host's transfer never completes
   * (lines 538-541). OUT 302 drops the cloud connection. On 0.7.0, OUT 40 and 50 are processed on the
   * system thread after the status stage (system_control.cpp lines 130-139, 285-298).
   */
  #rawOut(setup: SetupPacket): HandlerResult {
    if (this.#services) {
      if (setup.wIndex === RAW.RESET) {
        this.#reset('now', 0)
        return NO_REPLY
      }
      return setup.wIndex === RAW.CLOUD_DISCONNECT ? ACK : STALL
    }
    if (setup.wIndex !== RAW.RESET && setup.wIndex !== RAW.DFU_MODE) return STALL
    this.#reset(setup.wIndex === RAW.RESET ? 'reset' : 'dfu', 0)
    return ACK
  }
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0))
}

/** ServiceReply::encode; a reply that does not fit in wLength stalls (line 107-125 return false). */
function serviceReply(
  setup: SetupPacket,
  fields: { status: number; id?: number; size?: number; result?: number },
): HandlerResult {
  const out = new DataView(new ArrayBuffer(18))
  let flags = 0x01
  let offset = 6
  out.setUint16(4, fields.status, true)
  if (fields.id !== undefined) {
    flags |= 0x02
    out.setUint16(offset, fields.id, true)
    offset += 2
  }
  if (fields.size !== undefined) {
    flags |= 0x04
    out.setUint32(offset, fields.size, true)
    offset += 4
  }
  if (fields.result !== undefined) {
    flags |= 0x08
    out.setInt32(offset, fields.result, true)
    offset += 4
  }
  out.setUint32(0, flags, true)
  return offset > setup.wLength ? STALL : reply(new Uint8Array(out.buffer, 0, offset))
}
