/**
 * DFU 1.1 and DfuSe wire constants, the GETSTATUS record and the DFU
 * functional descriptor.
 */
import { FlashdataError } from '../errors.js'
import { bytes as byteCount, hex8 } from '../text.js'

export const DfuRequest = {
  DETACH: 0,
  DNLOAD: 1,
  UPLOAD: 2,
  GETSTATUS: 3,
  CLRSTATUS: 4,
  GETSTATE: 5,
  ABORT: 6,
} as const

export const DfuState = {
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
} as const

export const DfuStatus = {
  OK: 0x00,
  errTARGET: 0x01,
  errFILE: 0x02,
  errWRITE: 0x03,
  errERASE: 0x04,
  errCHECK_ERASED: 0x05,
  errPROG: 0x06,
  errVERIFY: 0x07,
  errADDRESS: 0x08,
  errNOTDONE: 0x09,
  errFIRMWARE: 0x0a,
  errVENDOR: 0x0b,
  errUSBR: 0x0c,
  errPOR: 0x0d,
  errUNKNOWN: 0x0e,
  errSTALLEDPKT: 0x0f,
} as const

/** DfuSe special commands: DNLOAD block 0, one command byte and a little-endian address. */
export const DfuseCommand = {
  GET_COMMANDS: 0x00,
  SET_ADDRESS: 0x21,
  ERASE: 0x41,
  READ_UNPROTECT: 0x92,
} as const

/** bcdDFU of a DfuSe device. */
export const DFUSE_VERSION = 0x011a
export const DFU_FUNCTIONAL_DESCRIPTOR_TYPE = 0x21

const STATE_NAMES = Object.fromEntries(Object.entries(DfuState).map(([name, value]) => [value, name]))
const STATUS_NAMES = Object.fromEntries(Object.entries(DfuStatus).map(([name, value]) => [value, name]))

export function stateName(state: number): string {
  return STATE_NAMES[state] ?? `unknown state ${state}`
}

export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `unknown status ${hex8(status)}`
}

export interface DfuStatusRecord {
  status: number
  /** bwPollTimeout: how long the host should wait before the next GETSTATUS. */
  pollTimeoutMs: number
  state: number
  iString: number
}

export function parseStatus(data: DataView | undefined): DfuStatusRecord {
  if (data === undefined || data.byteLength < 6) {
    throw new FlashdataError('DFU_PROTOCOL', `DFU GETSTATUS returned ${byteCount(data?.byteLength ?? 0)} instead of 6`)
  }
  return {
    status: data.getUint8(0),
    pollTimeoutMs: data.getUint8(1) | (data.getUint8(2) << 8) | (data.getUint8(3) << 16),
    state: data.getUint8(4),
    iString: data.getUint8(5),
  }
}

export interface DfuFunctionalDescriptor {
  attributes: number
  canDownload: boolean
  canUpload: boolean
  manifestationTolerant: boolean
  willDetach: boolean
  detachTimeoutMs: number
  transferSize: number
  /** bcdDFU; 0x011a for DfuSe. */
  dfuVersion: number
}

export function parseFunctionalDescriptor(bytes: Uint8Array): DfuFunctionalDescriptor {
  if (bytes.length < 9 || bytes[1] !== DFU_FUNCTIONAL_DESCRIPTOR_TYPE) {
    throw new FlashdataError(
      'DFU_PROTOCOL',
      `The DFU functional descriptor is malformed (${byteCount(bytes.length)}, expected 9 of type ${hex8(DFU_FUNCTIONAL_DESCRIPTOR_TYPE)})`,
    )
  }
  const attributes = bytes[2]
  return {
    attributes,
    canDownload: (attributes & 0x01) !== 0,
    canUpload: (attributes & 0x02) !== 0,
    manifestationTolerant: (attributes & 0x04) !== 0,
    willDetach: (attributes & 0x08) !== 0,
    detachTimeoutMs: bytes[3] | (bytes[4] << 8),
    transferSize: bytes[5] | (bytes[6] << 8),
    dfuVersion: bytes[7] | (bytes[8] << 8),
  }
}

export interface DfuInterfaceDescriptors {
  /** The iInterface string index of each alternate setting of the interface. */
  altNames: Map<number, number>
  functional?: DfuFunctionalDescriptor
}

/**
 * Walks a full configuration descriptor for one DFU interface: its
 * alternates' string indexes and its functional descriptor, which may follow
 * only the last alternate.
 */
export function parseConfigurationDescriptor(bytes: Uint8Array, interfaceNumber: number): DfuInterfaceDescriptors {
  const altNames = new Map<number, number>()
  let functional: DfuFunctionalDescriptor | undefined
  let inOurs = false
  for (let pos = 0; pos < bytes.length; ) {
    const length = bytes[pos]
    if (length < 2 || pos + length > bytes.length) {
      throw new FlashdataError('DFU_PROTOCOL', `The configuration descriptor is malformed at byte ${pos}`)
    }
    const type = bytes[pos + 1]
    if (type === 0x04 && length >= 9) {
      // Interface: DFU class 0xFE, subclass 0x01.
      inOurs = bytes[pos + 2] === interfaceNumber && bytes[pos + 5] === 0xfe && bytes[pos + 6] === 0x01
      if (inOurs) altNames.set(bytes[pos + 3], bytes[pos + 8])
    } else if (type === DFU_FUNCTIONAL_DESCRIPTOR_TYPE && inOurs && functional === undefined) {
      functional = parseFunctionalDescriptor(bytes.subarray(pos, pos + length))
    }
    pos += length
  }
  return { altNames, functional }
}
