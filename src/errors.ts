/**
 * Typed errors with stable codes. Every failure a user can meet has a code
 * here; the code fixes the process exit code, so scripts can tell failure
 * classes apart (docs/output.md#exit-codes lists them).
 */

import { DEFAULT_HINTS } from './error-hints.js'

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

/** Every code's default hint: a code without one does not compile. */
const HINTS: Record<ErrorCode, string> = DEFAULT_HINTS

export interface FlashdataErrorOptions {
  /** What the user can do next, printed under the message. */
  hint?: string
  /** Structured facts for `--json` output and for tests. */
  details?: Record<string, unknown>
  cause?: unknown
}

export class FlashdataError extends Error {
  readonly code: ErrorCode
  /** What to do next: the raiser's own, else the code's default (DEFAULT_HINTS). */
  readonly hint: string
  readonly details?: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options: FlashdataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FlashdataError'
    this.code = code
    this.hint = options.hint ?? HINTS[code]
    this.details = options.details
  }

  get exitCode(): ExitCodeValue {
    return CODES[this.code]
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details }
  }
}

/** Every error code, in the order of the table above. */
export const ERROR_CODES = Object.keys(CODES) as ErrorCode[]

export function exitCodeOf(code: ErrorCode): ExitCodeValue {
  return CODES[code]
}

export function isFlashdataError(error: unknown, code?: ErrorCode): error is FlashdataError {
  return error instanceof FlashdataError && (code === undefined || error.code === code)
}
