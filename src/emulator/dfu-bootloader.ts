/**
 * The Gen 2 bootloader's DfuSe state machine (ST DfuSe V1.1.0 as modified by
 * Particle; docs/electron-bootloader.md#dfu-states), including its non-standard parts:
 * - DNLOAD only stores the block; the work runs after the reply of the first
 *   GETSTATUS (which reports dfuDNBUSY), delaying that transfer's status stage,
 *   and a failure stalls it. The state then returns to dfuDNLOAD-SYNC, so the
 *   second GETSTATUS reports dfuDNLOAD-IDLE, with status OK even after a failure.
 * - The only error status is errUNKNOWN (0x0E), from CLRSTATUS outside dfuERROR.
 * - ABORT is ignored in dfuERROR; UPLOAD block 1 stalls and leaves state 0x0F.
 * - Leave: the GETSTATUS after a zero-length DNLOAD reports bState 5, then
 *   the board resets 500 ms later.
 */
import {
  DFU_TRANSFER_SIZE,
  MS_VENDOR_CODE,
  WCID_COMPAT_ID_DESCRIPTOR,
  WCID_EXTENDED_PROPERTIES_DESCRIPTOR,
} from './descriptors.js'
import { dct, internalFlash, serialFlash, type DfuMedium } from './dfu-media.js'
import type { LeftoverDfuState } from './faults.js'
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
  type FunctionContext,
  type HandlerResult,
  type SetupPacket,
  type SetupReply,
} from './setup.js'

const DFU_REQUEST = {
  DETACH: 0,
  DNLOAD: 1,
  UPLOAD: 2,
  GETSTATUS: 3,
  CLRSTATUS: 4,
  GETSTATE: 5,
  ABORT: 6,
} as const

const DFU_STATE = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
  /** Left behind by an UPLOAD of block 1 (a bootloader bug). */
  uploadBlock1Bug: 0x0f,
} as const

const DFU_STATUS_OK = 0x00
const DFU_STATUS_ERR_UNKNOWN = 0x0e
/** Where the address pointer starts: the first system module, 0x08020000. */
const DEFAULT_POINTER = 0x08020000

const S = DFU_STATE
const DIRECTION_IN: Record<number, boolean> = { 0: false, 1: false, 2: true, 3: true, 4: false, 5: true, 6: false }
const ABORTABLE: readonly number[] = [
  S.dfuIDLE,
  S.dfuDNLOAD_SYNC,
  S.dfuDNLOAD_IDLE,
  S.dfuMANIFEST_SYNC,
  S.dfuUPLOAD_IDLE,
]
const LEFTOVER: Record<LeftoverDfuState, [state: number, status: number]> = {
  dfuERROR: [S.dfuERROR, DFU_STATUS_ERR_UNKNOWN],
  'dfuDNLOAD-IDLE': [S.dfuDNLOAD_IDLE, DFU_STATUS_OK],
  'dfuUPLOAD-IDLE': [S.dfuUPLOAD_IDLE, DFU_STATUS_OK],
}

export class DfuBootloader implements Firmware {
  state: number = S.dfuIDLE
  status = DFU_STATUS_OK
  pointer = DEFAULT_POINTER
  pollTimeout = 0
  #pending: { block: number; data: Uint8Array } | null = null
  readonly #board: BoardServices
  readonly #media: DfuMedium[]

  constructor(board: BoardServices, hasSerialFlash: boolean) {
    this.#board = board
    this.#media = [internalFlash(board), dct(board), ...(hasSerialFlash ? [serialFlash()] : [])]
  }

  configured(): void {
    this.state = S.dfuIDLE
    this.status = DFU_STATUS_OK
    this.#pending = null
  }

  leaveStateAt(leftover: LeftoverDfuState): void {
    ;[this.state, this.status] = LEFTOVER[leftover]
    this.#pending = null
  }

  handle(setup: SetupPacket, data: Uint8Array, context: FunctionContext): HandlerResult | Promise<HandlerResult> {
    const kind = requestKind(setup)
    if (kind === 'vendor') return windowsDescriptor(setup)
    // Class requests reach the DFU class for any interface number up to 10.
    const { bRequest } = setup
    if (kind !== 'class' || recipientOf(setup) !== 1 || (setup.wIndex & 0xff) > 10) return STALL
    if (DIRECTION_IN[bRequest] !== isIn(setup)) return STALL
    const fault = this.#board.faults.takeRequestFault(bRequest)
    if (fault) return fault === 'stall' ? STALL : NO_REPLY
    const medium = this.#media[context.alternate(0)]
    switch (bRequest) {
      case DFU_REQUEST.DETACH:
        // A mask bug turns DETACH into a busy-wait of wValue ms in the ISR; the board stays in DFU mode.
        return context.wait(setup.wValue * this.#board.timing.detachMsPerUnit).then(() => ACK)
      case DFU_REQUEST.DNLOAD:
        return this.#download(setup, data)
      case DFU_REQUEST.UPLOAD:
        return this.#upload(setup, medium)
      case DFU_REQUEST.GETSTATUS:
        return this.#getStatus(medium, context)
      case DFU_REQUEST.CLRSTATUS:
        // Non-standard: outside dfuERROR, CLRSTATUS *enters* dfuERROR.
        ;[this.state, this.status] =
          this.state === S.dfuERROR ? [S.dfuIDLE, DFU_STATUS_OK] : [S.dfuERROR, DFU_STATUS_ERR_UNKNOWN]
        this.#pending = null
        return ACK
      case DFU_REQUEST.GETSTATE:
        return reply([this.state])
      case DFU_REQUEST.ABORT:
        if (ABORTABLE.includes(this.state)) {
          this.state = S.dfuIDLE
          this.status = DFU_STATUS_OK
          this.#pending = null
        }
        return ACK
      default:
        return STALL
    }
  }

  #download(setup: SetupPacket, data: Uint8Array): HandlerResult {
    if (this.state !== S.dfuIDLE && this.state !== S.dfuDNLOAD_IDLE) return STALL
    if (setup.wLength === 0) {
      this.state = S.dfuMANIFEST_SYNC
      return ACK
    }
    // The bootloader's buffer holds one 4096-byte transfer; more would overflow it.
    if (setup.wLength > DFU_TRANSFER_SIZE) return STALL
    this.#pending = { block: setup.wValue, data: data.slice() }
    this.state = S.dfuDNLOAD_SYNC
    return ACK
  }

  #upload(setup: SetupPacket, medium: DfuMedium): HandlerResult {
    if (setup.wLength === 0) {
      this.state = S.dfuIDLE
      return ACK
    }
    if (this.state !== S.dfuIDLE && this.state !== S.dfuUPLOAD_IDLE) return STALL
    const block = setup.wValue
    if (block === 0) {
      // GET_COMMANDS: SET_ADDRESS and ERASE only (no 0x92 read-unprotect).
      this.state = setup.wLength > 3 ? S.dfuIDLE : S.dfuUPLOAD_IDLE
      return reply([0x00, 0x21, 0x41])
    }
    if (block === 1) {
      this.state = S.uploadBlock1Bug
      return STALL
    }
    if (setup.wLength > DFU_TRANSFER_SIZE) return STALL
    if (this.#board.faults.takeDisconnect('upload')) {
      this.#board.unplug()
      return NO_REPLY
    }
    this.state = S.dfuUPLOAD_IDLE
    // Always exactly wLength bytes: the bootloader never sends a short final block.
    return reply(medium.read(this.pointer + (block - 2) * DFU_TRANSFER_SIZE, setup.wLength))
  }

  async #getStatus(medium: DfuMedium, context: FunctionContext): Promise<HandlerResult> {
    if (this.state === S.dfuDNLOAD_SYNC && this.#pending) {
      const pending = this.#pending
      const kind = pending.block === 0 && pending.data[0] === 0x41 ? 'erase' : 'write'
      this.pollTimeout = medium.pollTimeout(kind, this.pointer) ?? this.pollTimeout
      this.state = S.dfuDNBUSY
      const answer = this.#statusBytes()
      const ok = await this.#execute(pending, medium, context)
      this.#pending = null
      this.state = S.dfuDNLOAD_SYNC
      return ok ? answer : STALL
    }
    if (this.state === S.dfuDNLOAD_SYNC) {
      this.state = S.dfuDNLOAD_IDLE
      return this.#statusBytes()
    }
    if (this.state === S.dfuMANIFEST_SYNC) {
      // Reports dfuDNLOAD-IDLE on purpose (keeps dfu-util quiet), then waits out the reset countdown.
      this.state = S.dfuMANIFEST
      const answer = this.#statusBytes(S.dfuDNLOAD_IDLE)
      this.state = S.dfuMANIFEST_WAIT_RESET
      this.#board.reset(this.#board.timing.leaveResetMs, 'auto')
      return answer
    }
    return this.#statusBytes()
  }

  async #execute(
    pending: { block: number; data: Uint8Array },
    medium: DfuMedium,
    context: FunctionContext,
  ): Promise<boolean> {
    const { block, data } = pending
    if (block === 1) return true
    if (block >= 2) return medium.write(this.pointer + (block - 2) * DFU_TRANSFER_SIZE, data, context)
    const command = data[0]
    if (data.length === 1 && command === 0x00) return true
    if (data.length !== 5 || (command !== 0x21 && command !== 0x41)) return false
    this.pointer = new DataView(data.buffer, data.byteOffset, 5).getUint32(1, true)
    return command === 0x21 || medium.erase(this.pointer, context)
  }

  #statusBytes(reportedState = this.state): SetupReply {
    const t = this.pollTimeout
    return reply([this.status, t & 0xff, (t >> 8) & 0xff, (t >> 16) & 0xff, reportedState, 0])
  }
}

/** WCID: the only vendor requests the bootloader answers; every other one stalls. */
function windowsDescriptor(setup: SetupPacket): SetupReply {
  if (setup.bRequest !== MS_VENDOR_CODE) return STALL
  if (setup.bmRequestType === 0xc0 && setup.wIndex === 4) return reply(WCID_COMPAT_ID_DESCRIPTOR)
  if (setup.bmRequestType === 0xc1 && setup.wIndex === 5) return reply(WCID_EXTENDED_PROPERTIES_DESCRIPTOR)
  return STALL
}
