/**
 * The `usb` package's failures as UsbErrors: the one place that reads its
 * words. usb 3.1.0 (nusb underneath) rejects with plain Errors whose only fact
 * is the message, "<method> error: <reason>": napi-rs gives every one the
 * code 'GenericFailure' and no errno (unlike the libusb-based 2.x, whose
 * LibUSBException carried one). So the reasons are matched here, once, as
 * phrases; test/device/usb-adapters.test.ts checks that each phrase of
 * BINARY_REASONS is still in the installed package's binary, so a release that
 * rewords one fails that test instead of silently changing retries and exit codes.
 */
import { UsbError, type UsbErrorKind } from './errors.js'

/** Phrases of usb 3.1.0's native binary (nusb's and the Rust standard library's words), lowercase. */
export const BINARY_REASONS: Array<[UsbErrorKind, string[]]> = [
  ['disconnected', ['device disconnected', 'device not found']],
  // The package cancels a transfer whose timeout expires (we never cancel one ourselves).
  ['timeout', ['transfer was cancelled', 'timed out']],
  ['busy', ['interface is busy', 'device is busy', 'resource busy']],
  ['access', ['permission denied']],
  ['stall', ['endpoint stalled']],
  ['state', ['invalid state', 'not claimed', 'a transfer is already pending']],
  ['invalid', ['not found', 'invalid configuration', 'invalid or unsupported argument']],
]

/** Phrases the binary does not hold: the C library's strerror text it passes on (ENODEV, EACCES), and a STALL's other wording. */
const SYSTEM_REASONS: Array<[UsbErrorKind, string[]]> = [
  ['disconnected', ['no such device', 'os error 19']],
  ['access', ['os error 13']],
  ['stall', ['stall']],
]

/** First match wins: 'device not found' is a device that left, before any other 'not found'. */
const REASONS = [...SYSTEM_REASONS.slice(0, 1), ...BINARY_REASONS, ...SYSTEM_REASONS.slice(1)]

/** A failure of the `usb` package, typed by its reason (any other is `transfer`); the message is kept. */
export function usbPackageError(error: unknown): UsbError {
  const message = error instanceof Error ? error.message : String(error)
  const words = message.toLowerCase()
  const kind = REASONS.find(([, phrases]) => phrases.some((phrase) => words.includes(phrase)))?.[0] ?? 'transfer'
  return new UsbError(kind, message, { cause: error })
}

/** The package reports a machine without /sys/bus/usb (a container): no USB here, so no boards. */
export function isNoUsbBus(error: unknown): boolean {
  return /sys\/bus\/usb|no such file/i.test(error instanceof Error ? error.message : String(error))
}

/** A failed string-descriptor read: the package's own enumeration rejects with these, uncaught. */
export function isStringReadFailure(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('getString error:')
}
