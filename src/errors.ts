/**
 * Typed errors with stable codes. Every failure a user can meet has a code
 * here; the code fixes the process exit code, so scripts can tell failure
 * classes apart (docs/output.md#exit-codes lists them).
 */

/** Exit codes, one per failure class. */
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  INPUT: 3,
  IMAGE_INVALID: 4,
  NO_DEVICE: 5,
  AMBIGUOUS_DEVICE: 6,
  WRONG_DEVICE: 7,
  USB_ACCESS: 8,
  DEVICE_ERROR: 9,
  VERIFY_MISMATCH: 10,
  DISCONNECTED: 11,
  TIMEOUT: 12,
  NO_IMAGE_ON_DEVICE: 13,
  JIG_FAILURES: 14,
  FOREIGN_DATA: 15,
  POOL_EXHAUSTED: 16,
  BUSY: 17,
  INTERRUPTED: 130,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

const CODES = {
  // Usage and input: nothing has touched a device when these are raised.
  BAD_OPTION: ExitCode.USAGE,
  INPUT_NOT_FOUND: ExitCode.INPUT,
  INPUT_NOT_DIRECTORY: ExitCode.INPUT,
  INPUT_EMPTY: ExitCode.INPUT,
  INPUT_UNREADABLE: ExitCode.INPUT,
  INPUT_SPECIAL_FILE: ExitCode.INPUT,
  INPUT_SYMLINK_ESCAPE: ExitCode.INPUT,
  INPUT_PACKED_TWICE: ExitCode.INPUT,
  INPUT_DATE_OUT_OF_RANGE: ExitCode.INPUT,
  NAME_TOO_LONG: ExitCode.INPUT,
  NAME_INVALID: ExitCode.INPUT,
  CONTENT_TYPE_TOO_LONG: ExitCode.INPUT,
  DUPLICATE_NAME: ExitCode.INPUT,
  IMAGE_TOO_LARGE: ExitCode.INPUT,
  OUTPUT_EXISTS: ExitCode.INPUT,
  OUTPUT_UNWRITABLE: ExitCode.INPUT,
  OUTPUT_WRONG_TYPE: ExitCode.INPUT,
  UNSAFE_PATH: ExitCode.INPUT,
  EMULATOR_READ_ONLY: ExitCode.INPUT,
  // An image file (or sector contents) that is not a valid flash-file image.
  IMAGE_INVALID: ExitCode.IMAGE_INVALID,
  IMAGE_BLANK: ExitCode.IMAGE_INVALID,
  // A .dfu file that is not one DfuSe image at 0x080A0000 (suffix, CRC, prefix, target, element).
  DFU_FILE_INVALID: ExitCode.IMAGE_INVALID,
  // Finding and selecting a board.
  NO_DEVICE: ExitCode.NO_DEVICE,
  AMBIGUOUS_DEVICE: ExitCode.AMBIGUOUS_DEVICE,
  WRONG_DEVICE: ExitCode.WRONG_DEVICE,
  // A device whose USB serial is not 1-64 letters and digits: refused before anything is read or sent for it.
  DEVICE_SERIAL_INVALID: ExitCode.WRONG_DEVICE,
  USB_ACCESS: ExitCode.USB_ACCESS,
  USB_UNAVAILABLE: ExitCode.USB_ACCESS,
  // Another process has the board (its USB interface, or the emulator's flash file).
  BUSY: ExitCode.BUSY,
  // Talking to a board.
  USB_TRANSFER: ExitCode.DEVICE_ERROR,
  DFU_LAYOUT: ExitCode.DEVICE_ERROR,
  DFU_PROTOCOL: ExitCode.DEVICE_ERROR,
  DFU_STATE: ExitCode.DEVICE_ERROR,
  DFU_ERASE_FAILED: ExitCode.DEVICE_ERROR,
  DFU_WRITE_FAILED: ExitCode.DEVICE_ERROR,
  DFU_STALL: ExitCode.DEVICE_ERROR,
  ADDRESS_REFUSED: ExitCode.DEVICE_ERROR,
  MODE_SWITCH_FAILED: ExitCode.DEVICE_ERROR,
  RESET_REFUSED: ExitCode.DEVICE_ERROR,
  VERIFY_MISMATCH: ExitCode.VERIFY_MISMATCH,
  DISCONNECTED: ExitCode.DISCONNECTED,
  TIMEOUT: ExitCode.TIMEOUT,
  DFU_MODE_TIMEOUT: ExitCode.TIMEOUT,
  NO_IMAGE_ON_DEVICE: ExitCode.NO_IMAGE_ON_DEVICE,
  JIG_FAILURES: ExitCode.JIG_FAILURES,
  // Provisioning: the sector holds someone else's data; the pool has no row left.
  FOREIGN_DATA: ExitCode.FOREIGN_DATA,
  POOL_EXHAUSTED: ExitCode.POOL_EXHAUSTED,
  PER_BOARD_MISSING: ExitCode.INPUT,
  PER_BOARD_AMBIGUOUS: ExitCode.INPUT,
  POOL_INVALID: ExitCode.INPUT,
  JOB_INVALID: ExitCode.INPUT,
  GENERATE_FAILED: ExitCode.INPUT,
  LEDGER_FAILED: ExitCode.INPUT,
  // A ledger line (file) or row (PostgreSQL) that is damaged: refused before any board, unless repaired.
  LEDGER_CORRUPT: ExitCode.INPUT,
  INTERRUPTED: ExitCode.INTERRUPTED,
  INTERNAL: ExitCode.INTERNAL,
} as const

export type ErrorCode = keyof typeof CODES

/**
 * Facts about a board, as a detail: what the device layer read from USB
 * (checked where it entered). Kept structural so this module imports nothing.
 */
export type BoardFacts = { readonly serial: string }

/**
 * The facts each code carries, in `details` (and in `--json`). Hosts word
 * their hints from the code and these facts; nothing here is host wording.
 * A raise site that passes a fact not listed here does not compile.
 */
/** A code whose message says all there is. */
type NoFacts = Record<never, never>

/** One of several outputs refused at once (extract): its code and facts. */
export type Conflict = { code: ErrorCode; path?: string; kind?: string; output?: Output }

/** Which output a path was given as. */
export type Output = 'image' | 'report' | 'extract-folder' | 'in-extract' | 'backup-dir'

export interface ErrorDetails {
  BAD_OPTION: {
    /** The option or environment variable at fault, as the user gives it (`--address`, `SOURCE_DATE_EPOCH`). */
    option?: string
    value?: unknown
    board?: BoardFacts
    target?: { start: number; end: number }
    path?: string
    patterns?: readonly string[]
    commander?: string
    output?: string
    format?: string
    host?: string
    port?: number
  }
  INPUT_NOT_FOUND: { path?: string; what?: 'job' | 'web-build' }
  INPUT_NOT_DIRECTORY: { path: string; what?: 'common-folder' }
  INPUT_EMPTY: { inputs?: readonly string[] }
  INPUT_UNREADABLE: {
    /** An emulator's flash file of the wrong size. */
    flashFile?: boolean
    path?: string
    code?: string
    size?: number
    row?: number
    /** An emulator's side file: the serial or mode it keeps beside its flash file. */
    sideFile?: 'serial' | 'mode'
  }
  INPUT_SPECIAL_FILE: {
    path: string
    sideFile?: 'serial' | 'mode' | 'lock'
    flashFile?: boolean
    /** Given where an image file is read. */
    image?: boolean
  }
  INPUT_SYMLINK_ESCAPE: { path: string; target: string }
  INPUT_PACKED_TWICE: {
    kind: 'file' | 'folder'
    /** Both ways to it, as input and path. */
    paths: readonly string[]
    /** A link that leads back up to a folder containing it. */
    loop: boolean
    /** The --exclude patterns that each leave one way out (none when an input is given twice). */
    excludes?: readonly string[]
  }
  INPUT_DATE_OUT_OF_RANGE: { name: string; mtime: number; min: number; max: number }
  NAME_TOO_LONG: { name: string; bytes: number; max: number }
  NAME_INVALID: { name?: string; names?: readonly string[]; dir?: string; nameHex?: string }
  CONTENT_TYPE_TOO_LONG: { name: string; contentType: string; bytes: number; max: number }
  DUPLICATE_NAME: { name: string; paths?: readonly string[] }
  IMAGE_TOO_LARGE: {
    path?: string
    size?: number
    /** A file too large to store, or an image (or .dfu) file too large to be one, told from its size alone. */
    role?: 'file' | 'image' | 'dfu'
    imageLength?: number
    target?: { start: number; end: number }
    totalSize?: number
    maxSize?: number
    over?: number
    files?: number
    tableBytes?: number
    /** Files that fit in the sector when all are empty (only when the table alone is too large). */
    maxFiles?: number
    largest?: readonly { name: string; size: number }[]
  }
  OUTPUT_EXISTS: { path?: string; output?: Output; conflicts?: readonly Conflict[] }
  OUTPUT_UNWRITABLE: { path: string; code?: string; output?: Output | 'emulator-mode' | 'emulator-flash' }
  OUTPUT_WRONG_TYPE: {
    path?: string
    kind?: string
    blocking?: string
    output?: Output
    conflicts?: readonly Conflict[]
  }
  UNSAFE_PATH: { path?: string; folder?: string; name?: string; conflicts?: readonly Conflict[] }
  EMULATOR_READ_ONLY: {
    path: string
    /** The folder is read-only (the lock beside the file cannot be made), not the file. */
    folder?: boolean
  }
  IMAGE_INVALID: { problems?: readonly unknown[]; file?: string }
  IMAGE_BLANK: { problems?: readonly unknown[]; file?: string }
  DFU_FILE_INVALID: { problem: string }
  NO_DEVICE: {
    serial?: string
    present?: readonly BoardFacts[]
    refused?: readonly BoardFacts[]
    /** How long the board was waited for; 0 when it was not. */
    waitedMs?: number
    /** The --wait the user gave, when they gave one. */
    waitGiven?: boolean
    emulator?: string
    /** In a browser: whether it has WebUSB at all. */
    webUsb?: boolean
  }
  AMBIGUOUS_DEVICE: { serial?: string; boards: readonly BoardFacts[]; refused?: readonly BoardFacts[] }
  WRONG_DEVICE: { board: BoardFacts }
  DEVICE_SERIAL_INVALID: { serial: string; length: number; [fact: string]: unknown }
  USB_ACCESS: { checks?: readonly unknown[] }
  USB_UNAVAILABLE: { reason: 'no-usb-access' | 'no-binding' }
  BUSY: { path: string; pid?: number; host?: string }
  USB_TRANSFER: NoFacts
  DFU_LAYOUT: { layout: string; position?: number }
  DFU_PROTOCOL: NoFacts
  DFU_STATE: { state?: number | null }
  DFU_ERASE_FAILED: { address: number; state?: number; status?: number }
  DFU_WRITE_FAILED: { address: number; state?: number; status?: number }
  DFU_STALL: { address?: number; state?: number | null }
  ADDRESS_REFUSED: {
    operation?: string
    start?: number
    end?: number
    address?: number
    layout?: string
    state?: number
    status?: number
  }
  MODE_SWITCH_FAILED: NoFacts
  RESET_REFUSED: { serial: string; result?: number }
  VERIFY_MISMATCH: { offset?: number; address?: number }
  DISCONNECTED: NoFacts
  TIMEOUT: { serial?: string; waitingFor?: 'firmware' }
  DFU_MODE_TIMEOUT: { serial?: string; deviceId?: string; method?: string; timeoutMs?: number }
  NO_IMAGE_ON_DEVICE: { problems: readonly unknown[] }
  JIG_FAILURES: NoFacts
  FOREIGN_DATA: { serial: string; contents: unknown }
  POOL_EXHAUSTED: { pool: string; rows: number }
  PER_BOARD_MISSING: { serial: string; folder: string }
  PER_BOARD_AMBIGUOUS: { serial: string; dir: string; folders: readonly string[] }
  POOL_INVALID: { path?: string; ledger?: string }
  JOB_INVALID: { path: string }
  GENERATE_FAILED: { serial: string; command: string; exitCode?: number | null; output?: string; durationMs?: number }
  LEDGER_FAILED: { path?: string; ledger?: string; owner?: unknown }
  LEDGER_CORRUPT: {
    /** A ledger file, or a PostgreSQL ledger (then `table` and `pool`). */
    path?: string
    ledger?: string
    table?: string
    pool?: string
    line?: number
    row?: number
    reason?: string
    damaged: readonly unknown[]
    /** Whether --repair-ledger can mend this ledger (a file) or not (PostgreSQL). */
    repairable: boolean
  }
  INTERRUPTED: {
    signal?: string
    phase?: string
    aborted?: readonly { serial: string; phase?: string }[]
    summary?: unknown
  }
  INTERNAL: NoFacts
}

export interface FlashdataErrorOptions<C extends ErrorCode> {
  /** The facts of this failure, for `--json`, for hosts' hints and for tests. */
  details?: ErrorDetails[C]
  cause?: unknown
}

/**
 * A failure with a stable code. Its message states what happened, in facts;
 * what to do next is each host's to say (src/cli/hints.ts, src/web/hints.ts,
 * src/station/page/hints.ts), from the code and the details.
 */
export class FlashdataError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C
  readonly details?: ErrorDetails[C]

  constructor(code: C, message: string, options: FlashdataErrorOptions<C> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FlashdataError'
    this.code = code
    this.details = options.details
  }

  get exitCode(): ExitCodeValue {
    return CODES[this.code]
  }

  /** Code, message and facts; hosts add their hint. */
  toJSON(): { code: C; message: string; details?: ErrorDetails[C] } {
    return { code: this.code, message: this.message, details: this.details }
  }
}

/** Every error code, in the order of the table above. */
export const ERROR_CODES = Object.keys(CODES) as ErrorCode[]

export function exitCodeOf(code: ErrorCode): ExitCodeValue {
  return CODES[code]
}

export function isFlashdataError<C extends ErrorCode>(error: unknown, code?: C): error is FlashdataError<C> {
  return error instanceof FlashdataError && (code === undefined || error.code === code)
}

/** The one way anything thrown becomes ours: a value that is not a FlashdataError is INTERNAL, its cause kept. */
export function toFlashdataError(error: unknown): FlashdataError {
  if (error instanceof FlashdataError) return error
  return new FlashdataError('INTERNAL', `Unexpected error: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
  })
}
