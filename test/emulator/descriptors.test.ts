// docs/electron-bootloader.md#descriptors and docs/electron-bootloader.md#refused-requests: what the
// bootloader shows a host, byte for byte, and which requests it refuses.
import { describe, expect, it } from 'vitest'
import {
  bytes,
  classIn,
  classOut,
  dfuBoard,
  getState,
  getStatus,
  readAt,
  setAddress,
  SECTOR_9,
  STATE,
  UPLOAD,
  ABORT,
} from './helpers.js'
import type { UsbDeviceLike } from '../../src/usb/types.js'

const standardIn = (
  device: UsbDeviceLike,
  recipient: 'device' | 'interface',
  request: number,
  value: number,
  index: number,
  length: number,
) => device.controlTransferIn({ requestType: 'standard', recipient, request, value, index }, length)
const getDescriptor = (
  device: UsbDeviceLike,
  type: number,
  index: number,
  length: number,
  recipient: 'device' | 'interface' = 'device',
) => standardIn(device, recipient, 6, (type << 8) | index, type === 3 ? 0x0409 : 0, length)
const text = (descriptor: number[]) => Buffer.from(descriptor.slice(2)).toString('utf16le')

describe('DFU-mode descriptors', () => {
  it('device descriptor: 2b04:d00a, bcdDevice 0x0250, EP0 64 bytes, strings 1/2/3, one configuration', async () => {
    const { device } = await dfuBoard()
    const answer = await getDescriptor(device, 1, 0, 18)
    expect(bytes(answer.data)).toEqual([
      0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x04, 0x2b, 0x0a, 0xd0, 0x50, 0x02, 0x01, 0x02, 0x03, 0x01,
    ])
  })

  it('every descriptor is truncated to wLength (hosts ask for 1, 4 or 8 bytes first)', async () => {
    const { device } = await dfuBoard()
    expect(bytes((await getDescriptor(device, 1, 0, 8)).data)).toEqual([0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40])
    expect(bytes((await getDescriptor(device, 2, 0, 4)).data)).toEqual([0x09, 0x02, 0x24, 0x00])
    expect(bytes((await getDescriptor(device, 3, 6, 1)).data)).toEqual([2 + 2 * 65]) // bLength of the 65-character alt 0 name
  })

  it('configuration: 36 bytes, iConfiguration 2, alts 0 and 1 (iInterface 6, 7), one functional descriptor after the last alt', async () => {
    const { device } = await dfuBoard()
    const answer = await getDescriptor(device, 2, 0, 255)
    expect(bytes(answer.data)).toEqual([
      0x09, 0x02, 0x24, 0x00, 0x01, 0x01, 0x02, 0xc0, 0x32, 0x09, 0x04, 0x00, 0x00, 0x00, 0xfe, 0x01, 0x02, 0x06, 0x09,
      0x04, 0x00, 0x01, 0x00, 0xfe, 0x01, 0x02, 0x07, 0x09, 0x21, 0x0b, 0xff, 0x00, 0x00, 0x10, 0x1a, 0x01,
    ])
  })

  it('the functional descriptor alone: GET_DESCRIPTOR 0x21 to the interface (the device recipient stalls)', async () => {
    const { device } = await dfuBoard()
    expect(bytes((await getDescriptor(device, 0x21, 0, 9, 'interface')).data)).toEqual([
      0x09, 0x21, 0x0b, 0xff, 0x00, 0x00, 0x10, 0x1a, 0x01,
    ])
    expect((await getDescriptor(device, 0x21, 0, 9, 'device')).status).toBe('stall')
  })

  it('strings: LANGID 0x0409, Particle, "Electron DFU Mode", the serial, DFU, DFU and the two layout strings', async () => {
    const { device } = await dfuBoard({ serialNumber: '3c0027000b51353335323536' })
    expect(bytes((await getDescriptor(device, 3, 0, 255)).data)).toEqual([4, 3, 0x09, 0x04])
    const strings = []
    for (let index = 1; index <= 7; index++)
      strings.push(text(bytes((await getDescriptor(device, 3, index, 255)).data)))
    expect(strings).toEqual([
      'Particle',
      'Electron DFU Mode',
      '3c0027000b51353335323536',
      'DFU',
      'DFU',
      '@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg',
      '@DCT Flash   /0x00000000/01*016Kg',
    ])
  })

  it('the default serial is 24 lowercase hex characters, distinct per board', async () => {
    const a = (await dfuBoard()).device.serialNumber
    const b = (await dfuBoard()).device.serialNumber
    expect(a).toMatch(/^[0-9a-f]{24}$/)
    expect(b).not.toBe(a)
  })

  it('string indexes past the table (8-15) stall', async () => {
    const { device } = await dfuBoard()
    for (let index = 8; index <= 15; index++) expect((await getDescriptor(device, 3, index, 255)).status).toBe('stall')
  })

  it('WCID: string 0xEE is "MSFT100" with vendor code 0xEE', async () => {
    const { device } = await dfuBoard()
    const descriptor = bytes((await getDescriptor(device, 3, 0xee, 255)).data)
    expect(descriptor).toEqual([0x12, 0x03, ...Buffer.from('MSFT100', 'utf16le'), 0xee, 0x00])
  })

  it('WCID: Compat ID "WINUSB" (0xC0/0xEE/wIndex 4) and DeviceInterfaceGUIDs (0xC1/0xEE/wIndex 5)', async () => {
    const { device } = await dfuBoard()
    const compat = bytes(
      (
        await device.controlTransferIn(
          { requestType: 'vendor', recipient: 'device', request: 0xee, value: 0, index: 4 },
          255,
        )
      ).data,
    )
    expect(compat).toHaveLength(0x28)
    expect(compat.slice(0, 10)).toEqual([0x28, 0, 0, 0, 0x00, 0x01, 0x04, 0x00, 0x01, 0])
    expect(Buffer.from(compat.slice(18, 26)).toString('latin1')).toBe('WINUSB\0\0')
    const props = bytes(
      (
        await device.controlTransferIn(
          { requestType: 'vendor', recipient: 'interface', request: 0xee, value: 0, index: 5 },
          255,
        )
      ).data,
    )
    expect(props).toHaveLength(0x92)
    expect(props.slice(0, 10)).toEqual([0x92, 0, 0, 0, 0x00, 0x01, 0x05, 0x00, 0x01, 0x00])
    expect(Buffer.from(props.slice(20, 60)).toString('utf16le')).toBe('DeviceInterfaceGUIDs')
    expect(Buffer.from(props.slice(66, 142)).toString('utf16le')).toBe('{37fb5f90-1a34-4929-933b-8a27e1850033}')
  })

  it('every other vendor request stalls, e.g. the Particle system-version request particle-usb sends', async () => {
    const { device } = await dfuBoard()
    const version = await device.controlTransferIn(
      { requestType: 'vendor', recipient: 'device', request: 0x50, value: 0, index: 30 },
      64,
    )
    expect(version.status).toBe('stall')
    const wrongIndex = await device.controlTransferIn(
      { requestType: 'vendor', recipient: 'device', request: 0xee, value: 0, index: 5 },
      64,
    )
    expect(wrongIndex.status).toBe('stall')
  })

  it('the USBDevice view reads the same descriptors: ids, version 2.5.0, names, layout strings as interfaceName', async () => {
    const { device } = await dfuBoard()
    expect([device.vendorId, device.productId]).toEqual([0x2b04, 0xd00a])
    expect([device.deviceVersionMajor, device.deviceVersionMinor, device.deviceVersionSubminor]).toEqual([2, 5, 0])
    expect([device.manufacturerName, device.productName]).toEqual(['Particle', 'Electron DFU Mode'])
    const [iface] = device.configuration!.interfaces
    expect(
      iface.alternates.map((a) => [
        a.alternateSetting,
        a.interfaceClass,
        a.interfaceSubclass,
        a.interfaceProtocol,
        a.interfaceName,
      ]),
    ).toEqual([
      [0, 0xfe, 1, 2, '@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg'],
      [1, 0xfe, 1, 2, '@DCT Flash   /0x00000000/01*016Kg'],
    ])
  })
})

describe('SET_INTERFACE and class-request routing', () => {
  const setInterface = (device: UsbDeviceLike, alt: number) =>
    device.controlTransferOut({ requestType: 'standard', recipient: 'interface', request: 11, value: alt, index: 0 })

  it('alt 0 and 1 are accepted, alt 2 stalls', async () => {
    const { device } = await dfuBoard()
    expect((await setInterface(device, 1)).status).toBe('ok')
    expect((await setInterface(device, 0)).status).toBe('ok')
    expect((await setInterface(device, 2)).status).toBe('stall')
  })

  it('selectAlternateInterface sends SET_INTERFACE; GET_INTERFACE reports the alt', async () => {
    const { device } = await dfuBoard()
    await device.selectAlternateInterface(0, 1)
    expect(bytes((await standardIn(device, 'interface', 10, 0, 0, 1)).data)).toEqual([1])
  })

  it('changing alt keeps the DFU state and the address pointer (shared by both alts)', async () => {
    const { emu, device } = await dfuBoard()
    await setAddress(device, SECTOR_9 + 0x100)
    expect(await getState(device)).toBe(STATE.dfuDNLOAD_IDLE)
    await device.selectAlternateInterface(0, 1)
    await device.selectAlternateInterface(0, 0)
    expect(await getState(device)).toBe(STATE.dfuDNLOAD_IDLE)
    await classOut(device, ABORT, 0)
    const upload = await classIn(device, UPLOAD, 2, 16)
    expect(bytes(upload.data)).toEqual([...emu.readFlash(SECTOR_9 + 0x100, 16)])
  })

  it('class requests are answered for any interface number up to 10, stalled above', async () => {
    const { device } = await dfuBoard()
    const status = (index: number) =>
      device.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 3, value: 0, index }, 6)
    expect((await status(10)).status).toBe('ok')
    expect((await status(11)).status).toBe('stall')
  })

  it('a request sent in the wrong direction stalls (GETSTATUS as OUT)', async () => {
    const { device } = await dfuBoard()
    expect((await classOut(device, 3, 0, new Uint8Array(6))).status).toBe('stall')
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuIDLE, 0])
  })

  it('reads of the bootloader sector are allowed even though writes are not', async () => {
    const { emu, device } = await dfuBoard()
    expect(await readAt(device, 0x08000000, 64)).toEqual([...emu.readFlash(0x08000000, 64)])
  })
})
