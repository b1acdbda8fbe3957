/**
 * The small WebUSB-shaped interface every layer above talks to.
 *
 * It is the subset of the W3C WebUSB API that a DfuSe host needs, shaped like
 * the npm `usb` package's WebUSB objects, so the same driver runs against real
 * boards (`usb`), the emulated Electron and, later, a browser's navigator.usb.
 * One addition: the optional `timeoutMs` argument of control transfers, which
 * the `usb` package accepts (its default, 1000 ms, is shorter than a sector
 * erase that blocks the status request).
 *
 * Each member states what it guarantees, how it fails and what it requires;
 * failures are UsbErrors (./errors.ts) whose `kind` is the contract, never
 * their message.
 */

import type { FlashdataError } from '../errors.js'

export type UsbRequestType = 'standard' | 'class' | 'vendor'
export type UsbRecipient = 'device' | 'interface' | 'endpoint' | 'other'
/** 'stall' is an endpoint-0 STALL; WebUSB reports it as a status, not an exception. */
export type UsbTransferStatus = 'ok' | 'stall' | 'babble'

export interface UsbControlSetup {
  requestType: UsbRequestType
  recipient: UsbRecipient
  request: number
  value: number
  index: number
}

export interface UsbInTransferResult {
  status: UsbTransferStatus
  data?: DataView
}

export interface UsbOutTransferResult {
  status: UsbTransferStatus
  bytesWritten: number
}

export interface UsbEndpointInfo {
  endpointNumber: number
  direction: 'in' | 'out'
  type: 'bulk' | 'interrupt' | 'isochronous'
  packetSize: number
}

export interface UsbAlternateInfo {
  alternateSetting: number
  interfaceClass: number
  interfaceSubclass: number
  interfaceProtocol: number
  interfaceName?: string | null
  endpoints: UsbEndpointInfo[]
}

export interface UsbInterfaceInfo {
  interfaceNumber: number
  claimed: boolean
  alternate: UsbAlternateInfo
  alternates: UsbAlternateInfo[]
}

export interface UsbConfigurationInfo {
  configurationValue: number
  configurationName?: string | null
  interfaces: UsbInterfaceInfo[]
}

/**
 * One USB device as one attachment to the bus. The contract every adapter
 * keeps (the `usb` package through device/system-usb.ts, navigator.usb
 * through web/webusb.ts, the emulator's EmulatedUsbDevice):
 *
 * - Every failure is a UsbError (src/usb/errors.ts) whose `kind` says what
 *   happened; its message is the stack's words, for people only.
 * - Once the device leaves the bus (unplugged, reset, re-enumerated) every
 *   method rejects with kind `disconnected`, for good: the device comes back,
 *   if at all, as a new object from the bus.
 * - Methods that need an open device reject with kind `state` when it is not
 *   open; control transfers also need a claimed interface (the `usb` package
 *   routes them through one).
 * - Callers issue one control transfer at a time on a device and start the
 *   next when the last has settled (the `usb` package may refuse an
 *   overlapping one with `state`; the emulator queues it, as a host
 *   controller's EP0 queue does).
 */
export interface UsbDeviceLike {
  /** Descriptor fields, read at enumeration: never do I/O, never throw. */
  readonly vendorId: number
  readonly productId: number
  readonly deviceVersionMajor: number
  readonly deviceVersionMinor: number
  readonly deviceVersionSubminor: number
  /** String descriptors; null when the device has none. Read at enumeration; never throw. */
  readonly manufacturerName?: string | null
  readonly productName?: string | null
  /**
   * The serial number string; null when the device has none. May do I/O: the
   * `usb` package opens the device to read it when sysfs has none, so it can
   * throw (a UsbError, usually `disconnected` for a device being removed).
   */
  readonly serialNumber?: string | null
  /** Whether open() has succeeded and close() has not been called since. Never throws. */
  readonly opened: boolean
  /**
   * The active configuration, null when the device is unconfigured. May do
   * I/O (the `usb` package reads the interface names on each read) and throw a
   * UsbError; `interfaces[].claimed` tells this host's claims.
   */
  readonly configuration?: UsbConfigurationInfo | null
  /** Every configuration the device descriptors list. Does no I/O after enumeration. */
  readonly configurations: UsbConfigurationInfo[]
  /** Bus path such as "1-1.4" where the transport knows it (the `usb` package does; navigator.usb does not). */
  readonly bus?: string
  readonly ports?: number[]
  /**
   * Opens the device for this host. Resolves once methods that need an open
   * device may be called; resolves at once if already open. Rejects with
   * `access` (no permission), `busy` (another program holds it) or
   * `disconnected`; a device that has just reset may fail with `disconnected`
   * or `timeout` and succeed when tried again a moment later.
   */
  open(): Promise<void>
  /** Releases claimed interfaces and closes the device. Resolves also when it is not open. */
  close(): Promise<void>
  /**
   * Sets the configuration. Requires an open device with no claimed interface
   * (else `state`); a value the descriptors do not list rejects with `invalid`.
   */
  selectConfiguration(configurationValue: number): Promise<void>
  /**
   * Claims an interface of the active configuration for this host. Requires an
   * open device (`state`). Rejects with `invalid` for an interface the
   * configuration lacks and `busy` when another program or driver holds it.
   */
  claimInterface(interfaceNumber: number): Promise<void>
  /** Gives a claimed interface back. Requires an open device and the interface claimed (`state`). */
  releaseInterface(interfaceNumber: number): Promise<void>
  /**
   * Selects an alternate setting (a DfuSe memory region) with SET_INTERFACE.
   * Requires the interface claimed (`state`); a setting the descriptors do not
   * list rejects with `invalid` before any request is sent; a device that
   * refuses it rejects with `stall`.
   */
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void>
  /**
   * A control transfer with an IN data stage of at most `length` bytes.
   * Resolves with status 'ok' and the bytes the device sent (possibly fewer),
   * or status 'stall' when the device refused the request: a STALL is an
   * answer, not an exception. `timeoutMs` bounds the whole transfer (0: no
   * bound); without it the `usb` package and the emulator give up after
   * 1000 ms, and navigator.usb, which takes no timeout, applies the browser's
   * own. Rejects with `timeout`, `disconnected`, `state` (not open, no claimed
   * interface) or `transfer`.
   */
  controlTransferIn(setup: UsbControlSetup, length: number, timeoutMs?: number): Promise<UsbInTransferResult>
  /**
   * A control transfer with an OUT data stage of `data` (none when omitted).
   * Resolves with status 'ok' and the bytes written, or status 'stall' (0 bytes
   * written). Timeout and failures as controlTransferIn.
   */
  controlTransferOut(setup: UsbControlSetup, data?: BufferSource, timeoutMs?: number): Promise<UsbOutTransferResult>
}

export interface UsbConnectionEvent {
  device: UsbDeviceLike
}

export type UsbConnectionListener = (event: UsbConnectionEvent) => void

/**
 * The bus: the `usb` package's `WebUSB` object (through device/system-usb.ts),
 * navigator.usb (through web/webusb.ts), or the emulated bus. One device
 * attachment is one object: getDevices and the events return the same object
 * for it as long as it stays attached, and a new one after it re-enumerates.
 */
export interface UsbBusLike {
  /**
   * The devices attached now that this host may see (a browser: those the user
   * has allowed). Resolves with [] on a machine without USB. Rejects with a
   * FlashdataError (USB_ACCESS, USB_UNAVAILABLE) when the bus cannot be listed.
   */
  getDevices(): Promise<UsbDeviceLike[]>
  /**
   * Calls `listener` for each device that attaches ('connect') or leaves
   * ('disconnect') after this call; events before it are not replayed, so a
   * waiter lists the bus after subscribing. Listeners must not throw.
   */
  addEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void
  /** Stops calling a listener added before; unknown listeners are ignored. */
  removeEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void
  /** Why a device on this bus cannot be used at all, when the bus knows before it is opened (an emulated board whose flash file is broken). */
  unusable?(device: UsbDeviceLike): FlashdataError | undefined
}

/** A bus this process opened and must close: it ends the hot-plug watch (and an emulator's files) so the process can exit. */
export interface ClosableUsbBus extends UsbBusLike {
  close(): void
}
