/**
 * Control transfers to one DFU interface: the timeout on every request,
 * transport errors mapped to FlashdataError codes, and per-kind counters.
 * A STALL is not an exception here (WebUSB reports it as a status): callers
 * decide what it means.
 */
import { FlashdataError, type ErrorCode } from '../errors.js'
import { READ_ATTEMPTS, READ_RETRY_STEP_MS } from '../timeouts.js'
import { UsbError, type UsbErrorKind } from '../usb/errors.js'
import type { UsbControlSetup, UsbDeviceLike, UsbInTransferResult, UsbOutTransferResult } from '../usb/types.js'
import { DfuRequest } from './protocol.js'

export type TransferKind =
  | 'dnload'
  | 'upload'
  | 'getstatus'
  | 'clrstatus'
  | 'abort'
  | 'getstate'
  | 'descriptor'
  | 'other'

export interface DfuseStats {
  /** Control transfers issued, by kind (a DfuSe command counts as a dnload). */
  transfers: Record<TransferKind, number>
  /** DfuSe SET_ADDRESS and ERASE commands among the dnloads. */
  setAddress: number
  erase: number
  /** Data-stage bytes sent and received. */
  bytesOut: number
  bytesIn: number
}

function emptyStats(): DfuseStats {
  return {
    transfers: { dnload: 0, upload: 0, getstatus: 0, clrstatus: 0, abort: 0, getstate: 0, descriptor: 0, other: 0 },
    setAddress: 0,
    erase: 0,
    bytesOut: 0,
    bytesIn: 0,
  }
}

const CLASS_KINDS: Record<number, TransferKind> = {
  [DfuRequest.DNLOAD]: 'dnload',
  [DfuRequest.UPLOAD]: 'upload',
  [DfuRequest.GETSTATUS]: 'getstatus',
  [DfuRequest.CLRSTATUS]: 'clrstatus',
  [DfuRequest.GETSTATE]: 'getstate',
  [DfuRequest.ABORT]: 'abort',
}
const GET_DESCRIPTOR = 6

function kindOf(setup: UsbControlSetup): TransferKind {
  if (setup.requestType === 'class') return CLASS_KINDS[setup.request] ?? 'other'
  return setup.requestType === 'standard' && setup.request === GET_DESCRIPTOR ? 'descriptor' : 'other'
}

/** What each kind of USB failure is to a command: its error code (and so its exit code). */
const CODES: Record<UsbErrorKind, ErrorCode> = {
  disconnected: 'DISCONNECTED',
  timeout: 'TIMEOUT',
  busy: 'BUSY',
  access: 'USB_ACCESS',
  stall: 'USB_TRANSFER',
  state: 'USB_TRANSFER',
  invalid: 'USB_TRANSFER',
  transfer: 'USB_TRANSFER',
}

/**
 * Maps a failure of a UsbDeviceLike call to a typed error by its UsbError kind;
 * ours pass through unchanged, and anything an adapter did not classify is a
 * transfer error.
 */
export function usbError(error: unknown, action: string): FlashdataError {
  if (error instanceof FlashdataError) return error
  const code = error instanceof UsbError ? CODES[error.kind] : 'USB_TRANSFER'
  const message = error instanceof Error ? error.message : String(error)
  // A pulled cable is told as what happened first, then the transfer it cut.
  const happened = code === 'DISCONNECTED' ? 'The board was disconnected: ' : ''
  return new FlashdataError(code, `${happened}USB ${action} failed: ${message}`, { cause: error })
}

/** Failures worth another try at once: a transfer cut short under load, not a board that left or a permission. */
function isTransient(error: unknown): boolean {
  return error instanceof FlashdataError && (error.code === 'USB_TRANSFER' || error.code === 'TIMEOUT')
}

/** Runs a read-only USB step, again after a transient failure, up to READ_ATTEMPTS times. */
async function retryRead<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (attempt >= READ_ATTEMPTS || !isTransient(error)) throw error
      await new Promise((resolve) => setTimeout(resolve, READ_RETRY_STEP_MS * attempt))
    }
  }
}

export class DfuTransport {
  readonly stats: DfuseStats = emptyStats()

  constructor(
    readonly device: UsbDeviceLike,
    readonly interfaceNumber: number,
    readonly timeoutMs: number,
  ) {}

  /** Runs one device call with its exceptions mapped to FlashdataError. */
  async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      throw usbError(error, action)
    }
  }

  classIn(request: number, value: number, length: number): Promise<UsbInTransferResult> {
    return this.transferIn(
      { requestType: 'class', recipient: 'interface', request, value, index: this.interfaceNumber },
      length,
    )
  }

  classOut(request: number, value: number, data: Uint8Array): Promise<UsbOutTransferResult> {
    return this.transferOut(
      { requestType: 'class', recipient: 'interface', request, value, index: this.interfaceNumber },
      data,
    )
  }

  /** GET_DESCRIPTOR to the device, or to our interface (the DFU functional descriptor). */
  getDescriptor(
    type: number,
    index: number,
    length: number,
    options: { langId?: number; toInterface?: boolean } = {},
  ): Promise<UsbInTransferResult> {
    return retryRead(() =>
      this.transferIn(
        {
          requestType: 'standard',
          recipient: options.toInterface ? 'interface' : 'device',
          request: GET_DESCRIPTOR,
          value: (type << 8) | index,
          index: options.toInterface ? this.interfaceNumber : (options.langId ?? 0),
        },
        length,
      ),
    )
  }

  private async transferIn(setup: UsbControlSetup, length: number): Promise<UsbInTransferResult> {
    const kind = kindOf(setup)
    this.stats.transfers[kind]++
    const result = await this.call(`${kind} request`, () =>
      this.device.controlTransferIn(setup, length, this.timeoutMs),
    )
    this.checkBabble(result.status, kind)
    this.stats.bytesIn += result.data?.byteLength ?? 0
    return result
  }

  private async transferOut(setup: UsbControlSetup, data: Uint8Array): Promise<UsbOutTransferResult> {
    const kind = kindOf(setup)
    this.stats.transfers[kind]++
    const result = await this.call(`${kind} request`, () =>
      this.device.controlTransferOut(setup, data as BufferSource, this.timeoutMs),
    )
    this.checkBabble(result.status, kind)
    this.stats.bytesOut += result.bytesWritten
    return result
  }

  private checkBabble(status: string, kind: TransferKind): void {
    if (status === 'babble')
      throw new FlashdataError('USB_TRANSFER', `USB ${kind} request failed: the device sent more data than asked for`)
  }
}
