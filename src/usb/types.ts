/**
 * The small WebUSB-shaped interface every layer above talks to.
 *
 * It is the subset of the W3C WebUSB API that a DfuSe host needs, shaped like
 * the npm `usb` package's WebUSB objects, so the same driver runs against real
 * boards (`usb`), the emulated Electron and, later, a browser's navigator.usb.
 * One addition: the optional `timeoutMs` argument of control transfers, which
 * the `usb` package accepts (its default, 1000 ms, is shorter than a sector
 * erase that blocks the status request).
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

export interface UsbDeviceLike {
  readonly vendorId: number
  readonly productId: number
  readonly deviceVersionMajor: number
  readonly deviceVersionMinor: number
  readonly deviceVersionSubminor: number
  readonly manufacturerName?: string | null
  readonly productName?: string | null
  readonly serialNumber?: string | null
  readonly opened: boolean
  readonly configuration?: UsbConfigurationInfo | null
  readonly configurations: UsbConfigurationInfo[]
  /** Bus path such as "1-1.4" where the transport knows it (the `usb` package does). */
  readonly bus?: string
  readonly ports?: number[]
  open(): Promise<void>
  close(): Promise<void>
  selectConfiguration(configurationValue: number): Promise<void>
  claimInterface(interfaceNumber: number): Promise<void>
  releaseInterface(interfaceNumber: number): Promise<void>
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void>
  controlTransferIn(setup: UsbControlSetup, length: number, timeoutMs?: number): Promise<UsbInTransferResult>
  controlTransferOut(setup: UsbControlSetup, data?: BufferSource, timeoutMs?: number): Promise<UsbOutTransferResult>
}

export interface UsbConnectionEvent {
  device: UsbDeviceLike
}

export type UsbConnectionListener = (event: UsbConnectionEvent) => void

/** The bus: the `usb` package's `WebUSB` object, navigator.usb, or the emulated bus. */
export interface UsbBusLike {
  getDevices(): Promise<UsbDeviceLike[]>
  addEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void
  removeEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void
  /** Why a device on this bus cannot be used at all, when the bus knows before it is opened (an emulated board whose flash file is broken). */
  unusable?(device: UsbDeviceLike): FlashdataError | undefined
}
