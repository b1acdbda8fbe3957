/**
 * The adapters' common step: a stack's device seen with every failure turned
 * into a UsbError by that stack's `classify`, once, where the stack is called.
 */
import { UsbError } from './errors.js'
import type { UsbBusLike, UsbConnectionListener, UsbDeviceLike } from './types.js'

/** Turns one failure of a stack into a UsbError; `member` is the method or property that failed. */
export type UsbClassifier = (error: unknown, member: string) => UsbError

/**
 * `device` with its methods' rejections and its getters' throws classified.
 * The same wrapper for the same device every time (the bus contract: one
 * attachment, one object). UsbErrors pass through unchanged.
 */
export function classifyingDevice(device: UsbDeviceLike, classify: UsbClassifier): UsbDeviceLike {
  const cache = wrappers.get(classify) ?? new WeakMap<UsbDeviceLike, UsbDeviceLike>()
  wrappers.set(classify, cache)
  let wrapped = cache.get(device)
  if (wrapped) return wrapped
  const typed = (error: unknown, member: string) => (error instanceof UsbError ? error : classify(error, member))
  wrapped = new Proxy(device, {
    get(target, property) {
      const member = String(property)
      let value: unknown
      try {
        value = Reflect.get(target, property, target)
      } catch (error) {
        throw typed(error, member)
      }
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => unknown).apply(target, args)
        } catch (error) {
          throw typed(error, member)
        }
      }
    },
  })
  cache.set(device, wrapped)
  return wrapped
}
const wrappers = new WeakMap<UsbClassifier, WeakMap<UsbDeviceLike, UsbDeviceLike>>()

/** `bus` with every device it lists or announces seen through classifyingDevice. */
export function classifyingBus<Bus extends UsbBusLike>(bus: Bus, classify: UsbClassifier): Bus {
  const wrap = (device: UsbDeviceLike) => classifyingDevice(device, classify)
  const inner = new WeakMap<UsbConnectionListener, UsbConnectionListener>()
  return new Proxy(bus, {
    get(target, property) {
      if (property === 'getDevices') return async () => (await target.getDevices()).map(wrap)
      if (property === 'addEventListener') {
        return (type: 'connect' | 'disconnect', listener: UsbConnectionListener) => {
          const forward: UsbConnectionListener =
            inner.get(listener) ?? ((event) => listener({ device: wrap(event.device) }))
          inner.set(listener, forward)
          target.addEventListener(type, forward)
        }
      }
      if (property === 'removeEventListener') {
        return (type: 'connect' | 'disconnect', listener: UsbConnectionListener) =>
          target.removeEventListener(type, inner.get(listener) ?? listener)
      }
      const value = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
