import type { UsbBusLike, UsbDeviceLike } from '../../src/usb/types.js'
import { mapDevices } from './flaky-bus.js'

const EPROTO = 'hardware fault or protocol violation'

/**
 * The emulated bus as the `usb` package shows a cut transfer on Linux: every
 * failed control transfer rejects with EPROTO's wording instead of naming the
 * disconnect. `failNext(n)` also makes the next n transfers fail that way while
 * the board stays on the bus.
 */
export function eprotoBus(bus: UsbBusLike): UsbBusLike & { failNext(n: number): void } {
  let failing = 0
  const wrap = (device: UsbDeviceLike): UsbDeviceLike => {
    const rewrite =
      (method: 'controlTransferIn' | 'controlTransferOut') =>
      async (...args: unknown[]) => {
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
    return new Proxy(device, {
      get(target, property) {
        if (property === 'controlTransferIn' || property === 'controlTransferOut') return rewrite(property)
        const value = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }
  return {
    ...mapDevices(bus, wrap),
    failNext: (n) => {
      failing = n
    },
  }
}
