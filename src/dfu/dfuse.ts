/**
 * A DfuSe host over the WebUSB-shaped device interface, written for the
 * Particle Gen 2 bootloader (Electron): failures show as a STALL of the
 * status request after a DNLOAD, CLRSTATUS outside dfuERROR enters dfuERROR,
 * erase and program block the status request, uploads never end short.
 */
import { FlashdataError } from '../errors.js'
import type { UsbDeviceLike } from '../usb/types.js'
import { connectDfu, disconnectDfu } from './connect.js'
import { checkModifiable, checkReadable, pageToErase, type AddressRange } from './guard.js'
import { bytes, formatBytes, hex32 } from '../text.js'
import { BUSY_POLLS, NORMALISE_ROUNDS, TRANSFER_MS } from '../timeouts.js'
import type { MemoryLayout, MemoryPage } from './layout.js'
import {
  DfuRequest,
  DfuState,
  DfuStatus,
  DfuseCommand,
  parseStatus,
  stateName,
  statusName,
  type DfuFunctionalDescriptor,
  type DfuStatusRecord,
} from './protocol.js'
import type { DfuTransport, DfuseStats } from './transport.js'

export interface DfuseOpenOptions {
  interface?: number
  alt?: number
  /** Per control transfer; must cover a 128 KiB sector erase that blocks the status request. */
  timeoutMs?: number
  /** Erase and write refuse any byte outside [start, end). */
  allowedRange?: AddressRange
}

export type ProgressCallback = (done: number, total: number) => void

export interface LeaveResult {
  /** bState of the status request after the leave request; null when the device was already gone. */
  state: number | null
}

/** Block numbers are 16-bit and data blocks start at 2. */
const MAX_BLOCKS_PER_RUN = 0xffff - 1
const ABORTABLE: number[] = [
  DfuState.dfuIDLE,
  DfuState.dfuDNLOAD_SYNC,
  DfuState.dfuDNLOAD_IDLE,
  DfuState.dfuMANIFEST_SYNC,
  DfuState.dfuUPLOAD_IDLE,
]
const LEFT: number[] = [DfuState.dfuDNLOAD_IDLE, DfuState.dfuMANIFEST, DfuState.dfuMANIFEST_WAIT_RESET]

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve())

/** What a refused DNLOAD command or block is: its failure code, with the address and the state it left. */
type DnloadFailure = 'DFU_ERASE_FAILED' | 'DFU_WRITE_FAILED' | 'ADDRESS_REFUSED'

export class DfuseDevice {
  private known: number | null = null
  /**
   * The device's address pointer, when this driver knows it: set by
   * SET_ADDRESS; ABORT, UPLOAD and data blocks leave it (blocks are counted
   * from it), so a read or write at the same address needs no new
   * SET_ADDRESS. An erase keeps it only at the same address (ST's DfuSe
   * loads the pointer with the erase address too; not every device may),
   * any failure forgets it.
   */
  private pointer: number | null = null

  private constructor(
    private readonly usb: DfuTransport,
    readonly alt: number,
    readonly functional: DfuFunctionalDescriptor,
    readonly layout: MemoryLayout,
    readonly allowedRange?: AddressRange,
  ) {}

  static async open(device: UsbDeviceLike, options: DfuseOpenOptions = {}): Promise<DfuseDevice> {
    const interfaceNumber = options.interface ?? 0
    const alt = options.alt ?? 0
    const { usb, functional, layout, openedHere } = await connectDfu(
      device,
      interfaceNumber,
      alt,
      options.timeoutMs ?? TRANSFER_MS,
    )
    const dfu = new DfuseDevice(usb, alt, functional, layout, options.allowedRange)
    try {
      await dfu.normaliseState()
      return dfu
    } catch (error) {
      await disconnectDfu(device, interfaceNumber, openedHere)
      throw error
    }
  }

  get device(): UsbDeviceLike {
    return this.usb.device
  }

  get interfaceNumber(): number {
    return this.usb.interfaceNumber
  }

  get transferSize(): number {
    return this.functional.transferSize
  }

  get timeoutMs(): number {
    return this.usb.timeoutMs
  }

  /** The last DFU state seen or caused; null when unknown (the next operation normalises it first). */
  get state(): number | null {
    return this.known
  }

  get stats(): DfuseStats {
    return this.usb.stats
  }

  /**
   * Brings the device to dfuIDLE. A pending download (dfuDNLOAD-SYNC, seen
   * with GETSTATE, which has no side effect) is aborted rather than executed
   * by a GETSTATUS; dfuERROR gets one CLRSTATUS; other states get ABORT.
   */
  async normaliseState(): Promise<void> {
    const probe = await this.usb.classIn(DfuRequest.GETSTATE, 0, 1)
    if (probe.status === 'ok' && probe.data?.byteLength === 1 && probe.data.getUint8(0) === DfuState.dfuDNLOAD_SYNC) {
      await this.abort(DfuState.dfuDNLOAD_SYNC)
    }
    let cleared = false
    for (let round = 0; round < NORMALISE_ROUNDS; round++) {
      const { state, status, pollTimeoutMs } = await this.getStatus()
      if (state === DfuState.dfuIDLE && status === DfuStatus.OK) return
      if (state === DfuState.dfuERROR && !cleared) {
        await this.control(DfuRequest.CLRSTATUS, 'CLRSTATUS')
        cleared = true
        continue
      }
      cleared = false
      if (ABORTABLE.includes(state)) await this.abort(state)
      else if (state === DfuState.dfuDNBUSY) await sleep(pollTimeoutMs)
      else
        throw this.stateError(
          `The device is in ${stateName(state)} (${statusName(status)}) and cannot be brought to dfuIDLE`,
        )
    }
    throw this.stateError(`The device did not reach dfuIDLE (last state ${describeState(this.state)})`)
  }

  /** DFU_GETSTATUS; a STALL is DFU_STALL here (after a DNLOAD it is handled by the caller). */
  async getStatus(): Promise<DfuStatusRecord> {
    const result = await this.usb.classIn(DfuRequest.GETSTATUS, 0, 6)
    if (result.status === 'stall') throw this.stall('GETSTATUS', undefined)
    const record = parseStatus(result.data)
    this.known = record.state
    return record
  }

  /** Erases the page holding `address` (DfuSe 0x41 with the page's start). */
  erase(address: number): Promise<MemoryPage> {
    return this.operation(async () => {
      const page = pageToErase(this, address)
      await this.command(DfuseCommand.ERASE, page.start, 'DFU_ERASE_FAILED', 'Erase')
      return page
    })
  }

  /** Writes `data` at `address`: SET_ADDRESS once per run, then blocks 2, 3, ... of wTransferSize bytes. */
  write(address: number, data: Uint8Array, onProgress?: ProgressCallback): Promise<void> {
    return this.operation(async () => {
      checkModifiable(this, 'write', address, address + data.length)
      if (!this.functional.canDownload) throw new FlashdataError('DFU_PROTOCOL', 'The device does not accept downloads')
      await this.runs(address, data.length, async (blockAddress, block, offset, size) => {
        await this.dnload(block, data.subarray(offset, offset + size), 'Write', blockAddress)
        await this.waitAfterDnload('DFU_WRITE_FAILED', 'Write', blockAddress)
        onProgress?.(offset + size, data.length)
      })
    })
  }

  /** Reads `length` bytes: SET_ADDRESS, ABORT, UPLOAD blocks 2, 3, ... sized to what is left, ABORT. */
  read(address: number, length: number, onProgress?: ProgressCallback): Promise<Uint8Array> {
    return this.operation(() => this.upload(address, length, onProgress))
  }

  private async upload(address: number, length: number, onProgress?: ProgressCallback): Promise<Uint8Array> {
    checkReadable(this, address, length)
    if (!this.functional.canUpload) throw new FlashdataError('DFU_PROTOCOL', 'The device does not support uploads')
    const out = new Uint8Array(length)
    await this.runs(address, length, async (blockAddress, block, offset, size) => {
      if (block === 2) await this.abort(DfuState.dfuDNLOAD_IDLE)
      const result = await this.usb.classIn(DfuRequest.UPLOAD, block, size)
      if (result.status === 'stall') throw await this.recoverFrom(this.stall('Read', blockAddress))
      this.known = DfuState.dfuUPLOAD_IDLE
      const got = result.data?.byteLength ?? 0
      if (result.data === undefined || got !== size) {
        throw new FlashdataError(
          'DFU_PROTOCOL',
          `Read at ${hex32(blockAddress)} returned ${bytes(got)} instead of ${formatBytes(size)}`,
        )
      }
      out.set(new Uint8Array(result.data.buffer, result.data.byteOffset, got), offset)
      onProgress?.(offset + size, length)
    })
    if (length > 0) await this.abort(DfuState.dfuUPLOAD_IDLE)
    return out
  }

  /**
   * Leaves DFU mode: zero-length DNLOAD, then one GETSTATUS. This bootloader
   * reports dfuDNLOAD-IDLE and resets 500 ms later; a device already gone
   * by the status request has left too.
   */
  leave(): Promise<LeaveResult> {
    return this.operation(() => this.manifest())
  }

  private async manifest(): Promise<LeaveResult> {
    this.pointer = null
    if (this.state === DfuState.dfuDNLOAD_IDLE || this.state === DfuState.dfuUPLOAD_IDLE) await this.abort(this.state)
    if (this.state !== DfuState.dfuIDLE) await this.normaliseState()
    await this.dnload(2, new Uint8Array(0), 'Leave request', undefined)
    this.known = null
    let result: Awaited<ReturnType<typeof this.usb.classIn>>
    try {
      result = await this.usb.classIn(DfuRequest.GETSTATUS, 0, 6)
    } catch (error) {
      if (error instanceof FlashdataError && ['DISCONNECTED', 'TIMEOUT', 'USB_TRANSFER'].includes(error.code))
        return { state: null }
      throw error
    }
    if (result.status === 'stall') return { state: null }
    const { state, status } = parseStatus(result.data)
    if (!LEFT.includes(state))
      throw this.stateError(`The device did not leave DFU mode: it reports ${stateName(state)} (${statusName(status)})`)
    return { state }
  }

  /** Releases the interface and closes the device; a device already gone is not an error. */
  close(): Promise<void> {
    return disconnectDfu(this.usb.device, this.usb.interfaceNumber, true)
  }

  /** Runs a public operation; after any failure the state is re-established before the next one. */
  private async operation<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      this.known = null
      this.pointer = null
      throw error
    }
  }

  private async control(request: number, what: string): Promise<void> {
    const result = await this.usb.classOut(request, 0, new Uint8Array(0))
    if (result.status === 'stall') throw this.stall(what, undefined)
  }

  /** ABORT; from a state this bootloader aborts, the device is then idle. */
  private async abort(from: number | null): Promise<void> {
    await this.control(DfuRequest.ABORT, 'ABORT')
    this.known = from !== null && ABORTABLE.includes(from) ? DfuState.dfuIDLE : null
  }

  private async readyToDownload(): Promise<void> {
    if (this.state === DfuState.dfuUPLOAD_IDLE) await this.abort(this.state)
    if (this.state !== DfuState.dfuIDLE && this.state !== DfuState.dfuDNLOAD_IDLE) await this.normaliseState()
  }

  /**
   * Splits [address, address+length) into runs of at most MAX_BLOCKS_PER_RUN
   * blocks, each after one SET_ADDRESS, unless the pointer is already there
   * (a read-back after a write, a write after reading and erasing there).
   */
  private async runs(
    address: number,
    length: number,
    perBlock: (blockAddress: number, block: number, offset: number, size: number) => Promise<void>,
  ): Promise<void> {
    const runBytes = MAX_BLOCKS_PER_RUN * this.transferSize
    for (let runOffset = 0; runOffset < length; runOffset += runBytes) {
      if (this.pointer !== address + runOffset || this.state === null)
        await this.command(DfuseCommand.SET_ADDRESS, address + runOffset, 'ADDRESS_REFUSED', 'Setting the address')
      else await this.readyToDownload()
      const runEnd = Math.min(length, runOffset + runBytes)
      for (let offset = runOffset, block = 2; offset < runEnd; offset += this.transferSize, block++) {
        await perBlock(address + offset, block, offset, Math.min(this.transferSize, runEnd - offset))
      }
    }
  }

  private async command(command: number, address: number, failure: DnloadFailure, what: string): Promise<void> {
    await this.readyToDownload()
    const payload = new Uint8Array(5)
    payload[0] = command
    new DataView(payload.buffer).setUint32(1, address, true)
    if (command === DfuseCommand.ERASE) this.usb.stats.erase++
    else this.usb.stats.setAddress++
    await this.dnload(0, payload, what, address)
    await this.waitAfterDnload(failure, what, address)
    if (command === DfuseCommand.SET_ADDRESS) this.pointer = address
    else if (this.pointer !== address) this.pointer = null
  }

  private async dnload(block: number, data: Uint8Array, what: string, address: number | undefined): Promise<void> {
    const result = await this.usb.classOut(DfuRequest.DNLOAD, block, data)
    if (result.status === 'stall') throw await this.recoverFrom(this.stall(what, address))
    if (result.bytesWritten !== data.length) {
      this.known = null
      throw new FlashdataError(
        'DFU_PROTOCOL',
        `${what}: the device took ${formatBytes(result.bytesWritten)} of ${bytes(data.length)}`,
      )
    }
    this.known = data.length === 0 ? DfuState.dfuMANIFEST_SYNC : DfuState.dfuDNLOAD_SYNC
  }

  /**
   * Polls GETSTATUS after a DNLOAD until dfuDNLOAD-IDLE. The work runs inside
   * the first (busy) status request; a STALL of it means the work failed.
   */
  private async waitAfterDnload(failure: DnloadFailure, what: string, address: number): Promise<void> {
    const at = hex32(address)
    for (let poll = 0; poll < BUSY_POLLS; poll++) {
      const result = await this.usb.classIn(DfuRequest.GETSTATUS, 0, 6)
      if (result.status === 'stall') {
        throw await this.recoverFrom(
          new FlashdataError(failure, `${what} at ${at} failed: the device stalled the status request`, {
            details: { address },
          }),
        )
      }
      const { state, status, pollTimeoutMs } = parseStatus(result.data)
      this.known = state
      if (status !== DfuStatus.OK || state === DfuState.dfuERROR) {
        throw await this.recoverFrom(
          new FlashdataError(failure, `${what} at ${at} failed: ${statusName(status)} in ${stateName(state)}`, {
            details: { address, state, status },
          }),
        )
      }
      if (state === DfuState.dfuDNLOAD_IDLE) return
      if (state === DfuState.dfuDNBUSY) await sleep(pollTimeoutMs)
      else if (state !== DfuState.dfuDNLOAD_SYNC) {
        throw await this.recoverFrom(
          this.stateError(`${what} at ${at}: unexpected ${stateName(state)} while waiting for dfuDNLOAD-IDLE`),
        )
      }
    }
    throw await this.recoverFrom(this.stateError(`${what} at ${at}: still busy after ${BUSY_POLLS} status requests`))
  }

  /** Brings the device back to idle after a failure so a retry can run; the failure is what counts. */
  private async recoverFrom(error: FlashdataError): Promise<FlashdataError> {
    this.known = null
    await this.normaliseState().catch(() => {
      this.known = null
    })
    return error
  }

  private stall(what: string, address: number | undefined): FlashdataError {
    const where = address === undefined ? '' : ` at ${hex32(address)}`
    return new FlashdataError(
      'DFU_STALL',
      `${what}${where}: the device stalled the request (state ${describeState(this.state)})`,
      {
        details: { address, state: this.state },
      },
    )
  }

  private stateError(message: string): FlashdataError {
    return new FlashdataError('DFU_STATE', message, { details: { state: this.state } })
  }
}

function describeState(state: number | null): string {
  return state === null ? 'unknown' : stateName(state)
}
