/**
 * A board's USB serial is untrusted: any USB device can claim a Particle
 * vendor and product id (2b04:d00a) and report any string as its serial. Yet
 * the serial names things: the per-board folder, the backup file, the
 * generator's FLASHDATA_SERIAL (which make-cert.sh puts into an openssl
 * subject), records, reports, the ledger. So it is checked once, here, where
 * a device's string descriptor is read, and typed (BoardSerial) after; a
 * board whose serial fails the check is listed but never used.
 *
 * The rule: 1 to 64 ASCII letters and digits, compared in lower case. The
 * Electron's serial is its device id, 24 hex digits, in DFU mode and under
 * current Device OS; older Device OS reported other serials in firmware mode,
 * such as 00000000050C (po-util#7; the DFU reference's "Serial number"),
 * also letters and digits. Such a serial holds no path separator, no "..", no
 * shell or openssl-subject metacharacter (/ = , + $ ` quotes), no control,
 * non-ASCII or bidi character; 64 leaves room beyond any serial Device OS
 * reports while a backup file name stays far below the 255 bytes file
 * systems allow.
 */
import { FlashdataError } from '../errors.js'

declare const checked: unique symbol
/** A USB serial that passed the rule above, in lower case: the only kind paths and names are built from. */
export type BoardSerial = string & { readonly [checked]: true }

export const SERIAL_RULE = '1 to 64 ASCII letters and digits'
// Tested before lower-casing: toLowerCase maps some non-ASCII letters to ASCII ones (the Kelvin sign to k).
const SERIAL = /^[0-9A-Za-z]{1,64}$/

/** The serial in lower case if it follows the rule, else undefined. */
export function toBoardSerial(raw: string | null | undefined): BoardSerial | undefined {
  return raw && SERIAL.test(raw) ? (raw.toLowerCase() as BoardSerial) : undefined
}

/** How many characters of a refused serial are shown; the rest is counted ("[+62]"). */
const SHOWN = 64

/**
 * A refused serial as it can be shown, logged and recorded: letters and digits
 * kept, every other character escaped (\x2f, \u202e), so no part of it is a
 * path separator, a dot, a control or bidi character; "(none)" when empty.
 */
export function shownSerial(raw: string | null | undefined): string {
  const chars = [...(raw ?? '')]
  if (chars.length === 0) return '(none)'
  const escaped = chars
    .slice(0, SHOWN)
    .map((c) => {
      if (/^[0-9A-Za-z]$/.test(c)) return c
      const code = c.codePointAt(0)!
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`
    })
    .join('')
  return chars.length > SHOWN ? `${escaped}[+${chars.length - SHOWN}]` : escaped
}

/** A device's serial for people and bookkeeping: the serial if it is valid, else escaped (shownSerial; never equal to a valid one). */
export function serialLabel(raw: string | null | undefined): string {
  return toBoardSerial(raw) ?? shownSerial(raw)
}

/** DEVICE_SERIAL_INVALID for a board reporting `raw`: nothing was read from disk for it or sent to it. */
export function serialRefusal(raw: string | null | undefined, details: Record<string, unknown> = {}): FlashdataError {
  const shown = shownSerial(raw)
  return new FlashdataError(
    'DEVICE_SERIAL_INVALID',
    `The board with USB serial ${shown} is refused: a serial must be ${SERIAL_RULE} (an Electron's is its 24-hex-digit device id). Nothing was read or sent for it.`,
    { details: { serial: shown, length: [...(raw ?? '')].length, ...details } },
  )
}

/** The serial typed, or DEVICE_SERIAL_INVALID: for serials that reach the library from its callers. */
export function requireBoardSerial(raw: unknown): BoardSerial {
  const serial = typeof raw === 'string' ? toBoardSerial(raw) : undefined
  if (serial) return serial
  throw serialRefusal(typeof raw === 'string' ? raw : '')
}
