import { describe, expect, it } from 'vitest'
import { selectBoard, type UsbBusLike } from 'flashdata'
import { bench } from '../helpers/emulator.js'

/** The emulated bus, counting what a command costs on a real one: enumerations and hot-plug listeners. */
function counted(bus: UsbBusLike) {
  const counts = { getDevices: 0, listeners: 0 }
  const wrapped: UsbBusLike = {
    getDevices: () => {
      counts.getDevices++
      return bus.getDevices()
    },
    addEventListener: (type, listener) => {
      counts.listeners++
      bus.addEventListener(type, listener)
    },
    removeEventListener: (type, listener) => bus.removeEventListener(type, listener),
  }
  return { bus: wrapped, counts }
}

describe('selectBoard', () => {
  it('finds a board already on the bus with one enumeration and no hot-plug listener', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const { bus: countedBus, counts } = counted(bus)
    const found = await selectBoard(countedBus, { serial: board.serialNumber })
    expect(found.info.serial).toBe(board.serialNumber)
    expect(counts).toEqual({ getDevices: 1, listeners: 0 })
  })

  it('still waits for a board that is not there yet', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.unplug()
    const { bus: countedBus, counts } = counted(bus)
    setTimeout(() => board.plugIn(), 50)
    const found = await selectBoard(countedBus, { serial: board.serialNumber, waitMs: 5000 })
    expect(found.info.serial).toBe(board.serialNumber)
    expect(counts.listeners).toBe(1)
  })
})
