/**
 * EmulatedUsbDevice: the board as a WebUSB-shaped USBDevice (UsbDeviceLike),
 * keeping the contract src/usb/types.ts states and failing with the UsbError
 * kinds it names. Its identity and configurations come from the descriptors
 * the board returned at enumeration; every method turns into setup packets on
 * the board's raw layer (ElectronUsbFunction), as a host stack would.
 *
 * It enforces the contract's preconditions, as strictly as the strictest real
 * stack (the `usb` package 3.x on Linux): methods on a closed device reject
 * (`state`); control transfers need at least one claimed interface (`state`);
 * claiming an interface or selecting an alternate setting the descriptors do
 * not list rejects without reaching the device (`invalid`);
 * selectConfiguration with claimed interfaces rejects (`state`). A STALL of a
 * control transfer resolves `{ status: 'stall' }`. Once the board resets or
 * the cable is pulled, everything rejects (`disconnected`); the board
 * reappears as a new device object. Control transfers take an optional
 * timeout (default 1000 ms, as `usb`; 0 = none) and reject (`timeout`) when
 * it expires. Like `usb` v3, `interface.alternate` is always the first
 * alternate setting.
 */
import type {
  UsbAlternateInfo,
  UsbConfigurationInfo,
  UsbControlSetup,
  UsbDeviceLike,
  UsbEndpointInfo,
  UsbInTransferResult,
  UsbOutTransferResult,
} from '../usb/types.js'
import { UsbError, type UsbErrorKind } from '../usb/errors.js'
import { DESCRIPTOR_TYPE } from './descriptors.js'
import type { SetupPacket, SetupReply } from './setup.js'
import { UsbFunctionGoneError, type ElectronUsbFunction } from './usb-function.js'

const DEFAULT_TRANSFER_TIMEOUT_MS = 1000

const REQUEST_TYPES = { standard: 0, class: 1, vendor: 2 } as const
const RECIPIENTS = { device: 0, interface: 1, endpoint: 2, other: 3 } as const
const ENDPOINT_TYPES = ['control', 'isochronous', 'bulk', 'interrupt'] as const
/** String descriptors hold UTF-16LE text. */
const UTF16LE = new TextDecoder('utf-16le')

function usbError(kind: UsbErrorKind, method: string, reason: string): UsbError {
  return new UsbError(kind, `${method}: ${reason}`)
}

export interface ClaimHooks {
  claim(): void
  release(): void
}

export class EmulatedUsbDevice implements UsbDeviceLike {
  readonly vendorId: number
  readonly productId: number
  readonly deviceClass: number
  readonly deviceSubclass: number
  readonly deviceProtocol: number
  readonly deviceVersionMajor: number
  readonly deviceVersionMinor: number
  readonly deviceVersionSubminor: number
  readonly manufacturerName: string | null
  readonly productName: string | null
  readonly serialNumber: string | null
  readonly bus: string
  readonly ports: number[]
  readonly #function: ElectronUsbFunction
  readonly #configuration: UsbConfigurationInfo
  readonly #claimed = new Set<number>()
  #opened = false
  #hostQueue: Promise<unknown> = Promise.resolve()

  readonly #hooks: ClaimHooks | undefined

  /**
   * `busPath` replaces the "emulated-<port>" path (the CLI gives the flash file); `hooks` are told when a host
   * first claims an interface and when it lets the last one go (the board locks its flash file).
   */
  constructor(usbFunction: ElectronUsbFunction, port: number, busPath?: string, hooks?: ClaimHooks) {
    this.#function = usbFunction
    this.#hooks = hooks
    this.bus = busPath ?? 'emulated'
    this.ports = busPath === undefined ? [port] : []
    const d = usbFunction.descriptor(DESCRIPTOR_TYPE.device, 0)!
    this.deviceClass = d[4]
    this.deviceSubclass = d[5]
    this.deviceProtocol = d[6]
    this.vendorId = d[8] | (d[9] << 8)
    this.productId = d[10] | (d[11] << 8)
    this.deviceVersionMajor = d[13]
    this.deviceVersionMinor = d[12] >> 4
    this.deviceVersionSubminor = d[12] & 0x0f
    this.manufacturerName = this.#string(d[14])
    this.productName = this.#string(d[15])
    this.serialNumber = this.#string(d[16])
    this.#configuration = this.#parseConfiguration(usbFunction.descriptor(DESCRIPTOR_TYPE.configuration, 0)!)
  }

  get opened(): boolean {
    return this.#opened
  }

  get configuration(): UsbConfigurationInfo | null {
    return this.#function.configurationValue === this.#configuration.configurationValue ? this.#snapshot() : null
  }

  get configurations(): UsbConfigurationInfo[] {
    return [this.#snapshot()]
  }

  async open(): Promise<void> {
    this.#checkConnected('open')
    this.#opened = true
  }

  async close(): Promise<void> {
    this.#opened = false
    if (this.#claimed.size > 0) this.#hooks?.release()
    this.#claimed.clear()
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    this.#checkOpened('selectConfiguration')
    if (configurationValue !== this.#configuration.configurationValue)
      throw usbError('invalid', 'selectConfiguration', `the device has no configuration ${configurationValue}`)
    if (this.#claimed.size > 0) throw usbError('state', 'selectConfiguration', 'interfaces are claimed')
    await this.#standardOut('selectConfiguration', {
      bmRequestType: 0x00,
      bRequest: 9,
      wValue: configurationValue,
      wIndex: 0,
      wLength: 0,
    })
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.#checkOpened('claimInterface')
    if (!this.configuration?.interfaces.some((i) => i.interfaceNumber === interfaceNumber)) {
      throw usbError('invalid', 'claimInterface', `the configuration has no interface ${interfaceNumber}`)
    }
    if (this.#claimed.size === 0 && !this.#claimed.has(interfaceNumber)) this.#hooks?.claim()
    this.#claimed.add(interfaceNumber)
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.#checkOpened('releaseInterface')
    if (!this.#claimed.delete(interfaceNumber))
      throw usbError('state', 'releaseInterface', `interface ${interfaceNumber} is not claimed`)
    if (this.#claimed.size === 0) this.#hooks?.release()
  }

  async selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.#checkOpened('selectAlternateInterface')
    if (!this.#claimed.has(interfaceNumber))
      throw usbError('state', 'selectAlternateInterface', `interface ${interfaceNumber} is not claimed`)
    const iface = this.#configuration.interfaces.find((i) => i.interfaceNumber === interfaceNumber)
    if (!iface?.alternates.some((a) => a.alternateSetting === alternateSetting))
      throw usbError(
        'invalid',
        'selectAlternateInterface',
        `interface ${interfaceNumber} has no alternate setting ${alternateSetting}`,
      )
    await this.#standardOut('selectAlternateInterface', {
      bmRequestType: 0x01,
      bRequest: 11,
      wValue: alternateSetting,
      wIndex: interfaceNumber,
      wLength: 0,
    })
  }

  async controlTransferIn(
    setup: UsbControlSetup,
    length: number,
    timeoutMs = DEFAULT_TRANSFER_TIMEOUT_MS,
  ): Promise<UsbInTransferResult> {
    const packet = this.#packet('controlTransferIn', setup, 0x80, length)
    const answer = await this.#transfer('controlTransferIn', packet, undefined, timeoutMs)
    if (answer.status === 'stall') return { status: 'stall' }
    const data = answer.data.slice()
    return { status: 'ok', data: new DataView(data.buffer) }
  }

  async controlTransferOut(
    setup: UsbControlSetup,
    data?: BufferSource,
    timeoutMs = DEFAULT_TRANSFER_TIMEOUT_MS,
  ): Promise<UsbOutTransferResult> {
    const bytes = data === undefined ? new Uint8Array(0) : toBytes(data)
    const packet = this.#packet('controlTransferOut', setup, 0x00, bytes.length)
    const answer = await this.#transfer('controlTransferOut', packet, bytes, timeoutMs)
    return answer.status === 'stall'
      ? { status: 'stall', bytesWritten: 0 }
      : { status: 'ok', bytesWritten: bytes.length }
  }

  #packet(method: string, setup: UsbControlSetup, direction: number, length: number): SetupPacket {
    this.#checkOpened(method)
    if (this.#claimed.size === 0) throw usbError('state', method, 'no interface is claimed')
    const type = REQUEST_TYPES[setup.requestType]
    const recipient = RECIPIENTS[setup.recipient]
    if (type === undefined || recipient === undefined)
      throw new TypeError(`${method}: invalid requestType or recipient`)
    for (const [name, value, max] of [
      ['request', setup.request, 0xff],
      ['value', setup.value, 0xffff],
      ['index', setup.index, 0xffff],
      ['length', length, 0xffff],
    ] as const) {
      if (!Number.isInteger(value) || value < 0 || value > max)
        throw new TypeError(`${method}: ${name} ${value} out of range`)
    }
    return {
      bmRequestType: direction | (type << 5) | recipient,
      bRequest: setup.request,
      wValue: setup.value,
      wIndex: setup.index,
      wLength: length,
    }
  }

  /** Queued like the host controller's EP0 queue: one control transfer at a time, in order. */
  #transfer(method: string, packet: SetupPacket, data: Uint8Array | undefined, timeoutMs: number): Promise<SetupReply> {
    const run = this.#hostQueue.then(() => this.#submit(method, packet, data, timeoutMs))
    this.#hostQueue = run.catch(() => undefined)
    return run
  }

  async #submit(
    method: string,
    packet: SetupPacket,
    data: Uint8Array | undefined,
    timeoutMs: number,
  ): Promise<SetupReply> {
    this.#checkConnected(method)
    const answer = this.#function.handleSetup(packet, data)
    answer.catch(() => undefined) // still observed below; this only silences it after a timeout
    let timer: ReturnType<typeof setTimeout> | undefined
    const expiry = new Promise<never>((_, reject) => {
      if (timeoutMs > 0)
        timer = setTimeout(
          () => reject(usbError('timeout', method, `transfer timed out after ${timeoutMs} ms`)),
          timeoutMs,
        )
    })
    try {
      return await Promise.race([answer, expiry])
    } catch (error) {
      throw error instanceof UsbFunctionGoneError ? usbError('disconnected', method, 'device disconnected') : error
    } finally {
      clearTimeout(timer)
    }
  }

  async #standardOut(method: string, packet: SetupPacket): Promise<void> {
    const answer = await this.#transfer(method, packet, undefined, DEFAULT_TRANSFER_TIMEOUT_MS)
    if (answer.status === 'stall') throw usbError('stall', method, 'the device stalled the request')
  }

  #checkConnected(method: string): void {
    if (this.#function.ended) throw usbError('disconnected', method, 'device disconnected')
  }

  #checkOpened(method: string): void {
    this.#checkConnected(method)
    if (!this.#opened) throw usbError('state', method, 'the device is not open')
  }

  #string(index: number): string | null {
    const bytes = index === 0 ? undefined : this.#function.descriptor(DESCRIPTOR_TYPE.string, index)
    if (!bytes) return null
    return UTF16LE.decode(bytes.subarray(2, bytes[0]))
  }

  #snapshot(): UsbConfigurationInfo {
    return {
      ...this.#configuration,
      interfaces: this.#configuration.interfaces.map((i) => ({ ...i, claimed: this.#claimed.has(i.interfaceNumber) })),
    }
  }

  #parseConfiguration(bytes: Uint8Array): UsbConfigurationInfo {
    const config: UsbConfigurationInfo = {
      configurationValue: bytes[5],
      configurationName: this.#string(bytes[6]),
      interfaces: [],
    }
    let alternate: UsbAlternateInfo | undefined
    for (let offset = 0; offset + 1 < bytes.length && bytes[offset] > 0; offset += bytes[offset]) {
      const d = bytes.subarray(offset, offset + bytes[offset])
      if (d[1] === DESCRIPTOR_TYPE.interface) {
        alternate = {
          alternateSetting: d[3],
          interfaceClass: d[5],
          interfaceSubclass: d[6],
          interfaceProtocol: d[7],
          interfaceName: this.#string(d[8]),
          endpoints: [],
        }
        let iface = config.interfaces.find((i) => i.interfaceNumber === d[2])
        if (!iface) {
          iface = { interfaceNumber: d[2], claimed: false, alternate, alternates: [] }
          config.interfaces.push(iface)
        }
        iface.alternates.push(alternate)
      } else if (d[1] === DESCRIPTOR_TYPE.endpoint && alternate) {
        const type = ENDPOINT_TYPES[d[3] & 3] as UsbEndpointInfo['type']
        alternate.endpoints.push({
          endpointNumber: d[2] & 0x7f,
          direction: d[2] & 0x80 ? 'in' : 'out',
          type,
          packetSize: d[4] | (d[5] << 8),
        })
      }
    }
    return config
  }
}

function toBytes(data: BufferSource): Uint8Array {
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
