/**
 * navigator.usb's failures as UsbErrors, by their DOMException name (WebUSB,
 * https://wicg.github.io/webusb/, and Chromium's use of it); the message,
 * the browser's words, is never read.
 */
import { UsbError, type UsbErrorKind } from './errors.js'

const KINDS: Record<string, UsbErrorKind> = {
  // Every call on a device that has left: "The device was disconnected."
  NotFoundError: 'disconnected',
  // A failed transfer, which is also how a pulled cable shows before the browser sees the device go.
  NetworkError: 'transfer',
  SecurityError: 'access',
  // A precondition: not open, interface not claimed.
  InvalidStateError: 'state',
  TimeoutError: 'timeout',
  // A transfer the browser cancelled (the device was reset or closed under it).
  AbortError: 'timeout',
}

/**
 * A failure of navigator.usb's `member`. Chromium rejects a claim another
 * program (or, on Windows, a missing WinUSB driver) prevents with a
 * NetworkError: for claimInterface that is `busy`.
 */
export function webUsbError(error: unknown, member: string): UsbError {
  // A DOMException is an Error in browsers and Node, but read its fields as any object's.
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown }
  const known = typeof name === 'string' && Object.hasOwn(KINDS, name)
  const kind = member === 'claimInterface' && name === 'NetworkError' ? 'busy' : known ? KINDS[name] : 'transfer'
  return new UsbError(kind, typeof message === 'string' ? message : String(error), { cause: error })
}
