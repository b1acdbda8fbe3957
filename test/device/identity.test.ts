import { describe, expect, it } from 'vitest'
import { buildImage, enterDfuMode, push, readFirmwareInfo, selectBoard } from 'flashdata'
import { bench, sectorBytes } from '../helpers/emulator.js'

const DEVICE_ID = 'e00fce68aa11bb22cc33dd44'
/** A board whose firmware reports an old-style USB serial; its bootloader reports the device id, as the Electron's does. */
const OLD_SERIAL_BOARD = { mode: 'firmware' as const, serialNumber: DEVICE_ID, firmwareSerial: '00000000050C' }
const image = buildImage([{ name: 'a.txt', data: new Uint8Array(3000).fill(7), mtime: 1 }], { epoch: 1 })

describe('board identity through the device-id request', () => {
  it('a board running firmware reports its device id, whatever its USB serial', async () => {
    const { bus } = bench(OLD_SERIAL_BOARD)
    const board = await selectBoard(bus, { serial: '00000000050c' })
    expect(board.info.serial).toBe('00000000050c')
    expect((await readFirmwareInfo(board)).deviceId).toBe(DEVICE_ID)
  })

  it('the switch to DFU mode waits for the board that reported that device id, though its serial changes', async () => {
    const { bus } = bench(OLD_SERIAL_BOARD)
    const running = await selectBoard(bus, { serial: '00000000050c' })
    const { board } = await enterDfuMode(bus, running, { timeoutMs: 2000 })
    expect(board.info).toMatchObject({ mode: 'dfu', serial: DEVICE_ID })
  })

  it('--serial with the device id finds the board running firmware under another USB serial, and not its neighbour', async () => {
    const { bus } = bench(
      { mode: 'firmware', serialNumber: 'e00fce68ffffffffffffffff', firmwareSerial: '000000000777' },
      OLD_SERIAL_BOARD,
    )
    const board = await selectBoard(bus, { serial: DEVICE_ID.toUpperCase() })
    expect(board.info.serial).toBe('00000000050c')
  })

  it('push by device id switches such a board, writes it and waits for it to run firmware again', async () => {
    const {
      bus,
      boards: [emulated],
    } = bench(OLD_SERIAL_BOARD)
    const result = await push({ bus, image, serial: DEVICE_ID, waitAppMs: 5000 })
    expect(result).toMatchObject({ status: 'flashed', serial: DEVICE_ID, modeSwitch: 'control-request' })
    expect(sectorBytes(emulated, image.length)).toEqual(image)
    expect(emulated.mode).toBe('firmware')
  })

  it('a serial that is neither a USB serial nor a reported device id finds no board', async () => {
    const { bus } = bench(OLD_SERIAL_BOARD)
    await expect(selectBoard(bus, { serial: 'e00fce68000000000000000f', waitMs: 0 })).rejects.toMatchObject({
      code: 'NO_DEVICE',
    })
  })
})
