import { FlashdataError } from '../errors.js'
import type { UsbBusLike, UsbConnectionListener, UsbDeviceLike } from '../usb/types.js'

/** Long enough for a 128 KiB sector erase, which blocks the status request (1-2 s, up to 4 s). */
export const USB_TIMEOUT_MS = 5000

export const UDEV_HINT = 'On Linux, allow your user to access Particle boards: sudo cp udev/50-particle.rules /etc/udev/rules.d/ && sudo udevadm control --reload-rules, then replug the board.'

/**
 * The real USB bus through the `usb` package's WebUSB API, loaded only when
 * a command talks to hardware (it costs start-up time).
 */
class SystemUsb implements UsbBusLike {
  constructor(private readonly webusb: UsbBusLike) {}

  async getDevices(): Promise<UsbDeviceLike[]> {
    try {
      return await this.webusb.getDevices()
    } catch (error) {
      const message = (error as Error).message ?? ''
      // A machine (or container) without USB at all: there are simply no boards.
      if (/sys\/bus\/usb|no such file|not found/i.test(message)) return []
      if (/permission|access|EACCES/i.test(message)) {
        throw new FlashdataError('USB_ACCESS', `No permission to list USB devices: ${message}`, { hint: UDEV_HINT, cause: error })
      }
      throw new FlashdataError('USB_UNAVAILABLE', `Cannot list USB devices: ${message}`, { cause: error })
    }
  }

  addEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void {
    this.webusb.addEventListener(type, listener)
  }

  removeEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void {
    this.webusb.removeEventListener(type, listener)
  }
}

export async function openSystemUsb(): Promise<UsbBusLike> {
  let usb: typeof import('usb')
  try {
    usb = await import('usb')
  } catch (error) {
    throw new FlashdataError('USB_UNAVAILABLE', `The USB library could not be loaded on this machine: ${(error as Error).message}`, {
      hint: 'Reinstall flashdata (npm install) on this machine; the usb package ships prebuilt binaries for Linux, macOS and Windows.', cause: error,
    })
  }
  return wrapSystemUsb(new usb.WebUSB({ allowAllDevices: true, deviceTimeout: USB_TIMEOUT_MS }) as unknown as UsbBusLike)
}

/** The error mapping around a WebUSB object (exported for tests). */
export function wrapSystemUsb(webusb: UsbBusLike): UsbBusLike {
  return new SystemUsb(webusb)
}
