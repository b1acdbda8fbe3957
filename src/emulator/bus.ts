/**
 * EmulatedUsb: a USB bus holding any number of emulated boards, shaped like
 * the `usb` package's WebUSB object (`getDevices()`, 'connect' and
 * 'disconnect' events carrying `event.device`), so the device layer uses it
 * exactly as it uses the real package.
 *
 * `attach(emu)` plugs a board in (a 'connect' follows for its device);
 * `detach(emu)` pulls its cable (a 'disconnect', and its device rejects
 * everything). A board resetting shows as a 'disconnect' of its old device
 * and, after the re-enumeration delay, a 'connect' of a new device object
 * with the same serial number. Events are dispatched synchronously when the
 * board's device changes.
 */
import type { UsbBusLike, UsbConnectionListener } from '../usb/types.js'
import type { EmulatedElectron } from './electron.js'
import type { EmulatedUsbDevice } from './usb-device.js'

type ConnectionType = 'connect' | 'disconnect'

export class EmulatedConnectionEvent extends Event {
  readonly device: EmulatedUsbDevice

  constructor(type: ConnectionType, device: EmulatedUsbDevice) {
    super(type)
    this.device = device
  }
}

const busOf = new WeakMap<EmulatedElectron, EmulatedUsb>()

export class EmulatedUsb implements UsbBusLike {
  readonly #boards = new Map<EmulatedElectron, () => void>()
  readonly #listeners: Record<ConnectionType, Set<UsbConnectionListener>> = {
    connect: new Set(),
    disconnect: new Set(),
  }

  /** The boards on this bus, in the order they were attached. */
  get boards(): EmulatedElectron[] {
    return [...this.#boards.keys()]
  }

  attach(board: EmulatedElectron): void {
    const owner = busOf.get(board)
    if (owner && owner !== this) throw new Error('This board is attached to another bus; detach it first')
    if (!owner) {
      busOf.set(board, this)
      const off = board.onDeviceChange((device, previous) => {
        if (previous) this.#dispatch('disconnect', previous)
        if (device) this.#dispatch('connect', device)
      })
      this.#boards.set(board, off)
      if (board.device) this.#dispatch('connect', board.device)
    }
    board.plugIn()
  }

  detach(board: EmulatedElectron): void {
    const off = this.#boards.get(board)
    if (!off) return
    board.unplug()
    off()
    this.#boards.delete(board)
    busOf.delete(board)
  }

  async getDevices(): Promise<EmulatedUsbDevice[]> {
    return this.boards.flatMap((board) => (board.device ? [board.device] : []))
  }

  addEventListener(type: ConnectionType, listener: UsbConnectionListener): void {
    this.#listeners[type]?.add(listener)
  }

  removeEventListener(type: ConnectionType, listener: UsbConnectionListener): void {
    this.#listeners[type]?.delete(listener)
  }

  #dispatch(type: ConnectionType, device: EmulatedUsbDevice): void {
    const event = new EmulatedConnectionEvent(type, device)
    for (const listener of [...this.#listeners[type]]) {
      try {
        listener(event)
      } catch (error) {
        // As EventTarget does: a throwing listener neither stops the others nor the board.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }
}
