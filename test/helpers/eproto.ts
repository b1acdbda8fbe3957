import type { UsbBusLike, UsbConnectionListener, UsbDeviceLike } from '../../src/usb/types.js'

const EPROTO = 'hardware fault or protocol violation'

/**
 * The emulated bus as the `usb` package shows a cut transfer on Linux: every
 * failed control transfer rejects with EPROTO's wording instead of naming the
 * disconnect. `failNext(n)` also makes the next n transfers fail that way while
 * the board stays on the bus.
 */
export function eprotoBus(bus: UsbBusLike): UsbBusLike & { failNext(n: number): void } {
  let failing = 0
  const wrapped = new WeakMap<UsbDeviceLike, UsbDeviceLike>()
  const wrap = (device: UsbDeviceLike): UsbDeviceLike => {
    let proxy = wrapped.get(device)
    if (proxy) return proxy
    const rewrite = (method: 'controlTransferIn' | 'controlTransferOut') => async (...args: unknown[]) => {
      if (failing > 0) {
        failing--
        throw new Error(`${method} error: ${EPROTO}`)
      }
      try {
        return await (device[method] as (...a: unknown[]) => Promise<unknown>)(...args)
      } catch {
        throw new Error(`${method} error: ${EPROTO}`)
      }
    }
    proxy = new Proxy(device, {
      get(target, property) {
        if (property === 'controlTransferIn' || property === 'controlTransferOut') return rewrite(property)
        const value = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    wrapped.set(device, proxy)
    return proxy
  }
  const listeners = new Map<UsbConnectionListener, UsbConnectionListener>()
  return {
    failNext: (n) => { failing = n },
    getDevices: async () => (await bus.getDevices()).map(wrap),
    addEventListener: (type, listener) => {
      const inner: UsbConnectionListener = (event) => listener({ device: wrap(event.device) })
      listeners.set(listener, inner)
      bus.addEventListener(type, inner)
    },
    removeEventListener: (type, listener) => bus.removeEventListener(type, listeners.get(listener) ?? listener),
  }
}
