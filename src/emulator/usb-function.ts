/**
 * ElectronUsbFunction: the raw USB layer of the emulated board, i.e. what the
 * board's USB peripheral and firmware do with each control transfer.
 *
 * `handleSetup(setup, data?)` takes a decoded SETUP packet (and, for OUT
 * requests, the wLength data bytes) and resolves, after the modelled time,
 * with the device's answer: `{ status: 'ok', data }` (IN data truncated to
 * wLength; empty for OUT = status stage acknowledged) or `{ status: 'stall' }`.
 * It rejects with UsbFunctionGoneError when the board resets or is unplugged
 * before answering, and stays pending (until then) for a request the board
 * never answers. Requests are handled one at a time, in order, like EP0 in
 * the device's interrupt handler: a long erase delays everything behind it.
 *
 * Standard requests are answered here from the descriptor set; class and
 * vendor requests go to the mode's firmware (DFU bootloader or Device OS).
 * `deviceDescriptor`, `configurationDescriptor` and `descriptor()` give the
 * raw bytes a host (or a USB gadget bridge presenting this board on a real
 * bus) needs. A board creates a new function each time it boots; a bridge
 * should set the timing's USB costs to 0 because the real bus takes the time.
 */
import {
  DFU_FUNCTIONAL_DESCRIPTOR,
  DESCRIPTOR_TYPE,
  LANGID_DESCRIPTOR,
  MS_OS_STRING_DESCRIPTOR,
  MS_OS_STRING_INDEX,
  stringDescriptor,
  type BoardMode,
  type DescriptorSet,
} from './descriptors.js'
import {
  ACK,
  isIn,
  NO_REPLY,
  recipientOf,
  reply,
  requestKind,
  STALL,
  type Firmware,
  type FunctionContext,
  type SetupPacket,
  type SetupReply,
} from './setup.js'
import { usbTransferMs, type EmulatorTiming, type ModelClock } from './timing.js'

export class UsbFunctionGoneError extends Error {
  constructor() {
    super('device disconnected')
    this.name = 'UsbFunctionGoneError'
  }
}

const RECIPIENT_DEVICE = 0
const RECIPIENT_INTERFACE = 1
const RECIPIENT_ENDPOINT = 2
const EMPTY = new Uint8Array(0)

export class ElectronUsbFunction {
  readonly mode: BoardMode
  readonly descriptors: DescriptorSet
  readonly #firmware: Firmware
  readonly #timing: EmulatorTiming
  readonly #clock: ModelClock
  readonly #lifetime = new AbortController()
  readonly #endpoints: number[]
  readonly #alternates: number[]
  #configuration = 0
  #queue: Promise<unknown> = Promise.resolve()
  readonly #context: FunctionContext = {
    alternate: (iface) => this.#alternates[iface] ?? 0,
    wait: (ms) => this.#wait(ms),
  }

  constructor(
    mode: BoardMode,
    descriptors: DescriptorSet,
    firmware: Firmware,
    timing: EmulatorTiming,
    clock: ModelClock,
  ) {
    this.mode = mode
    this.descriptors = descriptors
    this.#firmware = firmware
    this.#timing = timing
    this.#clock = clock
    this.#alternates = descriptors.alternates.map(() => 0)
    this.#endpoints = endpointAddresses(descriptors.configuration)
  }

  get deviceDescriptor(): Uint8Array {
    return this.descriptors.device
  }

  get configurationDescriptor(): Uint8Array {
    return this.descriptors.configuration
  }

  get configurationValue(): number {
    return this.#configuration
  }

  get ended(): boolean {
    return this.#lifetime.signal.aborted
  }

  /**
   * What the host's USB core does before any application sees the device:
   * SET_CONFIGURATION(1) after reading the descriptors (see descriptor()).
   * A gadget bridge leaves this to the real host.
   */
  enumerate(): void {
    this.#standard({ bmRequestType: 0x00, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 })
  }

  /** The board reset or lost power: pending and later requests reject. */
  end(): void {
    this.#lifetime.abort(new UsbFunctionGoneError())
  }

  /** A descriptor as GET_DESCRIPTOR returns it (before truncation), or undefined where the board stalls. */
  descriptor(type: number, index: number, recipient = RECIPIENT_DEVICE): Uint8Array | undefined {
    if (recipient === RECIPIENT_INTERFACE) {
      // The DFU class answers its functional descriptor on an interface-directed request only.
      return type === DESCRIPTOR_TYPE.dfuFunctional && this.mode === 'dfu' ? DFU_FUNCTIONAL_DESCRIPTOR : undefined
    }
    if (recipient !== RECIPIENT_DEVICE) return undefined
    if (type === DESCRIPTOR_TYPE.device) return this.descriptors.device
    if (type === DESCRIPTOR_TYPE.configuration) return index === 0 ? this.descriptors.configuration : undefined
    if (type !== DESCRIPTOR_TYPE.string) return undefined
    if (index === 0) return LANGID_DESCRIPTOR
    if (index === MS_OS_STRING_INDEX && this.descriptors.msOsString) return MS_OS_STRING_DESCRIPTOR
    const text = this.descriptors.strings.get(index)
    return text === undefined ? undefined : stringDescriptor(text)
  }

  handleSetup(setup: SetupPacket, data: Uint8Array = EMPTY): Promise<SetupReply> {
    const run = this.#queue.then(() => this.#process(setup, data))
    this.#queue = run.catch(() => undefined)
    return run.then((result) => {
      if (result === NO_REPLY) return this.#untilGone()
      if (result.status === 'stall') return STALL
      return isIn(setup) ? { status: 'ok', data: result.data.subarray(0, setup.wLength) } : ACK
    })
  }

  async #process(setup: SetupPacket, data: Uint8Array) {
    await this.#wait(usbTransferMs(this.#timing, isIn(setup) ? setup.wLength : data.length))
    if (requestKind(setup) === 'standard') return this.#standard(setup)
    return this.#firmware.handle(setup, data, this.#context)
  }

  async #wait(ms: number): Promise<void> {
    const signal = this.#lifetime.signal
    try {
      await this.#clock.advance(ms, signal)
    } catch (error) {
      throw signal.aborted ? signal.reason : error
    }
  }

  #untilGone(): Promise<never> {
    const signal = this.#lifetime.signal
    return new Promise((_, reject) => {
      if (signal.aborted) reject(signal.reason)
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    })
  }

  #standard(s: SetupPacket): SetupReply {
    const recipient = recipientOf(s)
    const dirIn = isIn(s)
    switch (s.bRequest) {
      case 0: // GET_STATUS: self-powered (bmAttributes 0xC0), no remote wakeup, nothing halted
        if (!dirIn) return STALL
        if (recipient === RECIPIENT_DEVICE) return reply([0x01, 0x00])
        if (recipient === RECIPIENT_INTERFACE && this.#hasInterface(s.wIndex)) return reply([0, 0])
        if (recipient === RECIPIENT_ENDPOINT && this.#hasEndpoint(s.wIndex)) return reply([0, 0])
        return STALL
      case 1: // CLEAR_FEATURE
      case 3: // SET_FEATURE: DEVICE_REMOTE_WAKEUP and ENDPOINT_HALT only
        if (dirIn) return STALL
        if (recipient === RECIPIENT_DEVICE && s.wValue === 1) return ACK
        return recipient === RECIPIENT_ENDPOINT && s.wValue === 0 && this.#hasEndpoint(s.wIndex) ? ACK : STALL
      case 5: // SET_ADDRESS (sent by the host controller during enumeration)
        return !dirIn && recipient === RECIPIENT_DEVICE ? ACK : STALL
      case 6: {
        // GET_DESCRIPTOR
        const bytes = dirIn ? this.descriptor(s.wValue >> 8, s.wValue & 0xff, recipient) : undefined
        return bytes ? reply(bytes) : STALL
      }
      case 8: // GET_CONFIGURATION
        return dirIn && recipient === RECIPIENT_DEVICE ? reply([this.#configuration]) : STALL
      case 9: // SET_CONFIGURATION: resets the alternates; the DFU class goes back to dfuIDLE
        if (dirIn || recipient !== RECIPIENT_DEVICE || s.wValue > 1) return STALL
        this.#configuration = s.wValue
        this.#alternates.fill(0)
        if (s.wValue) this.#firmware.configured()
        return ACK
      case 10: // GET_INTERFACE
        return dirIn && recipient === RECIPIENT_INTERFACE && this.#hasInterface(s.wIndex)
          ? reply([this.#alternates[s.wIndex]])
          : STALL
      case 11: // SET_INTERFACE: the DFU state and address pointer are kept across alt changes
        if (dirIn || recipient !== RECIPIENT_INTERFACE || !this.#hasInterface(s.wIndex)) return STALL
        if (s.wValue >= this.descriptors.alternates[s.wIndex]) return STALL
        this.#alternates[s.wIndex] = s.wValue
        return ACK
      default: // SET_DESCRIPTOR, SYNCH_FRAME
        return STALL
    }
  }

  #hasInterface(index: number): boolean {
    return this.#configuration !== 0 && index < this.descriptors.alternates.length
  }

  #hasEndpoint(address: number): boolean {
    return (address & 0x7f) === 0 || (this.#configuration !== 0 && this.#endpoints.includes(address))
  }
}

function endpointAddresses(configuration: Uint8Array): number[] {
  const addresses: number[] = []
  for (
    let offset = 0;
    offset + 2 < configuration.length && configuration[offset] > 0;
    offset += configuration[offset]
  ) {
    if (configuration[offset + 1] === DESCRIPTOR_TYPE.endpoint) addresses.push(configuration[offset + 2])
  }
  return addresses
}
