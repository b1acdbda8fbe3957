// docs/electron-bootloader.md#firmware-mode and docs/electron-bootloader.md#entering-dfu-mode: the
// board running Device OS, and the two ways a host switches it into DFU mode.
// Its control requests in detail: control-requests.test.ts.
import { describe, expect, it } from 'vitest'
import { EmulatedElectron } from '../../src/emulator/index.js'
import type { UsbDeviceLike } from '../../src/usb/types.js'
import { bytes, openDevice } from './helpers.js'

async function normalBoard() {
  const emu = new EmulatedElectron({ mode: 'firmware' })
  return { emu, device: await openDevice(emu.device) }
}

const lineCoding = (baud: number) =>
  Uint8Array.of(baud & 0xff, (baud >> 8) & 0xff, (baud >> 16) & 0xff, baud >>> 24, 0, 0, 8)
const setLineCoding = (device: UsbDeviceLike, iface: number, baud: number) =>
  device.controlTransferOut(
    { requestType: 'class', recipient: 'interface', request: 0x20, value: 0, index: iface },
    lineCoding(baud),
  )
const getLineCoding = async (device: UsbDeviceLike, iface: number) =>
  bytes(
    (
      await device.controlTransferIn(
        { requestType: 'class', recipient: 'interface', request: 0x21, value: 0, index: iface },
        7,
      )
    ).data,
  )
describe('firmware mode (Device OS running)', () => {
  it('is a composite device 2b04:c00a "Electron" (EF/02/01): CDC on 0/1, vendor interface 2, CDC on 3/4, same serial as in DFU mode', async () => {
    const { emu, device } = await normalBoard()
    expect([device.vendorId, device.productId, device.productName, device.serialNumber]).toEqual([
      0x2b04,
      0xc00a,
      'Electron',
      emu.serialNumber,
    ])
    const d = emu.device!
    expect([d.deviceClass, d.deviceSubclass, d.deviceProtocol]).toEqual([0xef, 0x02, 0x01])
    const classes = device.configuration!.interfaces.map((i) => [
      i.interfaceNumber,
      i.alternate.interfaceClass,
      i.alternate.endpoints.length,
    ])
    expect(classes).toEqual([
      [0, 0x02, 1],
      [1, 0x0a, 2],
      [2, 0xff, 0],
      [3, 0x02, 1],
      [4, 0x0a, 2],
    ])
  })

  it('DFU class requests stall (a run-time board is not a DFU device; dfu-util reads this as appIDLE)', async () => {
    const { device } = await normalBoard()
    const status = await device.controlTransferIn(
      { requestType: 'class', recipient: 'interface', request: 3, value: 0, index: 0 },
      6,
    )
    expect(status.status).toBe('stall')
  })

  it('SET_LINE_CODING at other rates is stored and acknowledged; GET_LINE_CODING returns it', async () => {
    const { device } = await normalBoard()
    expect(await getLineCoding(device, 0)).toEqual([...lineCoding(9600)])
    expect((await setLineCoding(device, 0, 115200)).status).toBe('ok')
    expect(await getLineCoding(device, 0)).toEqual([...lineCoding(115200)])
  })

  it('14400 baud on interface 0 resets into DFU mode at once: the transfer never completes, a DFU device with the same serial appears', async () => {
    const { emu, device } = await normalBoard()
    const next = emu.nextDevice()
    await expect(setLineCoding(device, 0, 14400)).rejects.toMatchObject({ kind: 'disconnected' })
    const dfu = await next
    expect([dfu.productId, dfu.productName, dfu.serialNumber, emu.mode]).toEqual([
      0xd00a,
      'Electron DFU Mode',
      device.serialNumber,
      'dfu',
    ])
  })

  it('14400 baud on interface 3 (USBSerial1) does not switch', async () => {
    const { emu, device } = await normalBoard()
    expect((await setLineCoding(device, 3, 14400)).status).toBe('ok')
    expect(emu.device).toBe(device)
  })
})
