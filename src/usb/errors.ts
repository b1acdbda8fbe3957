/**
 * The one failure type of the USB seam. Each adapter (the `usb` package in
 * device/system-usb.ts, navigator.usb in web/webusb.ts, the emulator) turns
 * its own stack's failures into a UsbError once, where it calls that stack;
 * the layers above switch on `kind` and never read the message, which is the
 * stack's own words, kept for people.
 */

/**
 * - `disconnected`: the device left the bus (unplugged, reset, re-enumerated);
 *   this device object will not work again: find the device again on the bus.
 * - `timeout`: the device did not complete the transfer within its timeout.
 * - `busy`: another program or driver holds the device or the interface.
 * - `access`: the operating system or browser does not let this user open it.
 * - `stall`: the device refused the request with a STALL (control transfers
 *   report it as status 'stall' instead; the other methods throw it).
 * - `state`: a documented precondition was not met (not open, no claimed
 *   interface, a transfer already pending).
 * - `invalid`: the request names what the device does not have (an interface,
 *   an alternate setting, a configuration).
 * - `transfer`: anything else the stack reports (a CRC or protocol error, a
 *   failure it does not explain): the transfer may succeed if tried again.
 */
export type UsbErrorKind = 'disconnected' | 'timeout' | 'busy' | 'access' | 'stall' | 'state' | 'invalid' | 'transfer'

export class UsbError extends Error {
  override readonly name = 'UsbError'

  constructor(
    readonly kind: UsbErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** `error` is a UsbError, of one of `kinds` when any are given. */
export function isUsbError(error: unknown, ...kinds: UsbErrorKind[]): error is UsbError {
  return error instanceof UsbError && (kinds.length === 0 || kinds.includes(error.kind))
}
