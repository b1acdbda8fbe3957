import { createRequire } from 'node:module'
import { usbError } from '../dfu/transport.js'
import { FlashdataError } from '../errors.js'
import { ENUMERATION_ATTEMPTS, ENUMERATION_RETRY_MS, TRANSFER_MS } from '../timeouts.js'
import { classifyingDevice } from '../usb/classifying.js'
import { isUsbError } from '../usb/errors.js'
import type { ClosableUsbBus, UsbBusLike, UsbConnectionListener, UsbControlSetup, UsbDeviceLike } from '../usb/types.js'
import { isNoUsbBus, isStringReadFailure, usbPackageError } from '../usb/usb-package-errors.js'

/**
 * Failed string-descriptor reads (enumeration, open): the device is leaving
 * the bus (the package's own open of a board that just reset says "open
 * error: device not found"), or answered after the package's timeout, which
 * it reports as a cancelled transfer. Both pass within a few hundred milliseconds.
 */
function isTransient(error: unknown): boolean {
  return isUsbError(error, 'disconnected', 'timeout', 'transfer')
}

/**
 * A property of the package's device. Some getters talk to the device:
 * `configuration` reads the interface names on every call, and
 * `serialNumber` opens the device when sysfs has no serial (as for a device
 * being removed, which fails with "open error: device not found"). Their
 * failures are typed like any other.
 */
function readProperty(device: UsbDeviceLike, property: string | symbol): unknown {
  try {
    return Reflect.get(device, property, device)
  } catch (error) {
    throw usbError(error, `${String(property)} read`)
  }
}

function readConfiguration(device: UsbDeviceLike): UsbDeviceLike['configuration'] {
  return readProperty(device, 'configuration') as UsbDeviceLike['configuration']
}

/** Runs `work` again while it fails with a transient error, up to ENUMERATION_ATTEMPTS times. */
async function retryTransient<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (!isTransient(error) || attempt === ENUMERATION_ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, ENUMERATION_RETRY_MS))
    }
  }
}

/**
 * The same device object every time (bus events and enumeration must agree),
 * its failures typed once (usbPackageError), with the `usb` package's quirks
 * smoothed into plain WebUSB: a STALL may arrive as a rejected promise rather
 * than as status 'stall', an OUT transfer without data must still pass an
 * empty buffer, and open reads string descriptors and is tried again after a
 * transient failure. The `configuration` getter reads the interface names
 * over the wire at every call, synchronously, so it cannot pause before
 * trying again: open reads it once (tried again like open) and the getter
 * returns that until close.
 */
const normalized = new WeakMap<UsbDeviceLike, UsbDeviceLike>()
function normalizeDevice(device: UsbDeviceLike): UsbDeviceLike {
  let wrapped = normalized.get(device)
  if (wrapped) return wrapped
  const typed = classifyingDevice(device, usbPackageError)
  let configuration: UsbDeviceLike['configuration'] | undefined
  const stallAsStatus = <T>(transfer: Promise<T>, stalled: T): Promise<T> =>
    transfer.catch((error: unknown) => {
      if (isUsbError(error, 'stall')) return stalled
      throw error
    })
  wrapped = new Proxy(typed, {
    get(target, property) {
      if (property === 'controlTransferIn') {
        return (setup: UsbControlSetup, length: number, timeoutMs?: number) =>
          stallAsStatus(target.controlTransferIn(setup, length, timeoutMs), { status: 'stall' as const })
      }
      if (property === 'controlTransferOut') {
        return (setup: UsbControlSetup, data?: BufferSource, timeoutMs?: number) =>
          stallAsStatus(target.controlTransferOut(setup, data ?? new Uint8Array(0), timeoutMs), {
            status: 'stall' as const,
            bytesWritten: 0,
          })
      }
      if (property === 'open') {
        return async () => {
          await retryTransient(() => target.open())
          configuration = await retryTransient(async () => target.configuration).catch((error: unknown) => {
            throw usbError(error, 'configuration read')
          })
        }
      }
      if (property === 'close') {
        return async () => {
          configuration = undefined
          await target.close()
        }
      }
      if (property === 'configuration') return configuration ?? readConfiguration(target)
      return readProperty(target, property)
    },
  })
  normalized.set(device, wrapped)
  return wrapped
}

/**
 * The real USB bus through the `usb` package's WebUSB API, loaded only when
 * a command talks to hardware (it costs start-up time).
 *
 * Hot-plug: the package enumerates the bus when its first listener is added
 * and neither awaits nor catches that enumeration (usb 3.1.0,
 * dist/index.js, WebUSB.addEventListener). When a string read in it fails (a
 * board leaving the bus, or answering late on a loaded machine) the process
 * ended with an unhandled rejection ('getString error: transfer was
 * cancelled', exit 1). The bus therefore subscribes once, when its first
 * listener is added (a push to a board already in DFU mode never waits for
 * one, and starting and stopping the package's hot-plug watch is a visible
 * part of such a command's time), fans the events out itself until it is
 * closed, and from its opening ignores that stray rejection (see
 * ignoreStrayEnumerationFailures). Every wait on the bus also enumerates
 * after subscribing, so an event just before the subscription is not missed.
 */
class SystemUsb implements UsbBusLike {
  private readonly listeners = {
    connect: new Set<UsbConnectionListener>(),
    disconnect: new Set<UsbConnectionListener>(),
  }
  private readonly forward = {
    connect: (event: { device: UsbDeviceLike }) => this.dispatch('connect', event.device),
    disconnect: (event: { device: UsbDeviceLike }) => this.dispatch('disconnect', event.device),
  }

  private subscribed = false

  /** `hotplug` false: no USB on this machine; the `usb` package would throw from a timer if asked for events. */
  constructor(
    private readonly webusb: UsbBusLike,
    private readonly hotplug: boolean,
    private readonly onClose = () => {},
  ) {}

  async getDevices(): Promise<UsbDeviceLike[]> {
    try {
      return (await enumerate(this.webusb)).map(normalizeDevice)
    } catch (error) {
      const message = (error as Error).message ?? ''
      if (isNoUsbBus(error)) return []
      if (isUsbError(error, 'access')) {
        throw new FlashdataError('USB_ACCESS', `No permission to list USB devices: ${message}`, {
          cause: error,
        })
      }
      throw new FlashdataError('USB_UNAVAILABLE', `Cannot list USB devices: ${message}`, {
        details: { reason: 'no-usb-access' },
        cause: error,
      })
    }
  }

  addEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void {
    if (!this.hotplug) return
    this.listeners[type].add(listener)
    if (this.subscribed) return
    this.subscribed = true
    this.webusb.addEventListener('connect', this.forward.connect)
    this.webusb.addEventListener('disconnect', this.forward.disconnect)
  }

  removeEventListener(type: 'connect' | 'disconnect', listener: UsbConnectionListener): void {
    this.listeners[type].delete(listener)
  }

  /** Ends the subscription, so the process can exit. */
  close(): void {
    this.onClose()
    if (!this.subscribed) return
    this.subscribed = false
    this.webusb.removeEventListener('connect', this.forward.connect)
    this.webusb.removeEventListener('disconnect', this.forward.disconnect)
  }

  private dispatch(type: 'connect' | 'disconnect', device: UsbDeviceLike): void {
    for (const listener of [...this.listeners[type]]) listener({ device: normalizeDevice(device) })
  }
}

export async function openSystemUsb(): Promise<ClosableUsbBus> {
  let usb: typeof import('usb')
  try {
    // require, not import(): the package is CommonJS, and import() would first scan its source for exports.
    usb = createRequire(import.meta.url)('usb') as typeof import('usb')
  } catch (error) {
    throw new FlashdataError(
      'USB_UNAVAILABLE',
      `The USB library could not be loaded on this machine: ${(error as Error).message}`,
      { details: { reason: 'no-binding' }, cause: error },
    )
  }
  const webusb = new usb.WebUSB({ allowAllDevices: true, deviceTimeout: TRANSFER_MS }) as unknown as UsbBusLike
  const hotplug = await enumerate(webusb).then(
    () => true,
    (error: unknown) => !isNoUsbBus(error),
  )
  return new SystemUsb(webusb, hotplug, hotplug ? ignoreStrayEnumerationFailures() : undefined)
}

/**
 * While the bus is open, an unhandled rejection that is the package's own
 * uncaught enumeration failing (a string read, or a device that left or
 * answered late) is ignored; any other unhandled
 * rejection still ends the process, as it would without this handler.
 * Returns the function that removes the handler.
 */
export function ignoreStrayEnumerationFailures(): () => void {
  const handler = (reason: unknown) => {
    if (isStringReadFailure(reason) || isUsbError(usbPackageError(reason), 'disconnected', 'timeout')) return
    throw reason
  }
  process.on('unhandledRejection', handler)
  return () => process.off('unhandledRejection', handler)
}

/** The package's enumeration, its failures typed, tried again after a transient failure. */
function enumerate(webusb: UsbBusLike): Promise<UsbDeviceLike[]> {
  return retryTransient(() =>
    webusb.getDevices().catch((error: unknown) => {
      throw isNoUsbBus(error) ? error : usbPackageError(error)
    }),
  )
}

/** The quirk and error mapping around a WebUSB object (exported for tests). */
export function wrapSystemUsb(webusb: UsbBusLike, hotplug = true): ClosableUsbBus {
  return new SystemUsb(webusb, hotplug)
}
