import type { UsbBusLike, UsbConnectionListener, UsbDeviceLike } from '../../src/usb/types.js'

/**
 * The bus with every device seen through `wrap`, each wrapped once, so that
 * bus events and enumeration agree on device identity.
 */
export function mapDevices(bus: UsbBusLike, wrapDevice: (device: UsbDeviceLike) => UsbDeviceLike): UsbBusLike {
  const wrapped = new WeakMap<UsbDeviceLike, UsbDeviceLike>()
  const wrap = (device: UsbDeviceLike): UsbDeviceLike => {
    let proxy = wrapped.get(device)
    if (!proxy) {
      proxy = wrapDevice(device)
      wrapped.set(device, proxy)
    }
    return proxy
  }
  const listeners = new Map<UsbConnectionListener, UsbConnectionListener>()
  return {
    getDevices: async () => (await bus.getDevices()).map(wrap),
    addEventListener: (type, listener) => {
      const inner: UsbConnectionListener = (event) => listener({ device: wrap(event.device) })
      listeners.set(listener, inner)
      bus.addEventListener(type, inner)
    },
    removeEventListener: (type, listener) => bus.removeEventListener(type, listeners.get(listener) ?? listener),
  }
}

/** Decides, per call or property read, whether a device method or getter fails and with what (undefined: it runs). */
export type FailureRule = (device: UsbDeviceLike, method: string) => Error | undefined

/** The emulated bus with device calls and getters failing as a real USB stack's do, by rule. */
export function flakyBus(bus: UsbBusLike, rule: FailureRule): UsbBusLike {
  return mapDevices(
    bus,
    (device) =>
      new Proxy(device, {
        get(target, property) {
          const value = Reflect.get(target, property, target)
          if (typeof value !== 'function') {
            const failure = rule(target, String(property))
            if (failure) throw failure
            return value
          }
          return async (...args: unknown[]) => {
            const failure = rule(target, String(property))
            if (failure) throw failure
            return (value as (...a: unknown[]) => unknown).apply(target, args)
          }
        },
      }),
  )
}
