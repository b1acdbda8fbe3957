// Other Gen 2 platforms, so hosts can be tested against the wrong board: Photon and P1
// (docs/electron-bootloader.md#usb-identity).
import { describe, expect, it } from 'vitest'
import { EmulatedElectron } from '../../src/emulator/index.js'
import { isFlashdataError } from '../../src/errors.js'
import { dfuBoard, erase, readAt, writeAt } from './helpers.js'

describe('platforms', () => {
  it('Photon: 2b04:d006 "Photon DFU Mode" in DFU mode, 2b04:c006 "Photon" running firmware, same two alts', async () => {
    const { device } = await dfuBoard({ platform: 'photon' })
    expect([device.productId, device.productName]).toEqual([0xd006, 'Photon DFU Mode'])
    expect(device.configuration!.interfaces[0].alternates).toHaveLength(2)
    const normal = new EmulatedElectron({ platform: 'photon', mode: 'firmware' }).device!
    expect([normal.productId, normal.productName]).toEqual([0xc006, 'Photon'])
  })

  it('P1: 2b04:d008 with a third alt, the external serial flash (string 8)', async () => {
    const { device } = await dfuBoard({ platform: 'p1' })
    expect([device.productId, device.productName]).toEqual([0xd008, 'P1 DFU Mode'])
    expect(device.configuration!.interfaces[0].alternates.map((a) => a.interfaceName)).toEqual([
      '@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg',
      '@DCT Flash   /0x00000000/01*016Kg',
      '@Serial Flash   /0x00000000/256*004Kg',
    ])
    expect(new EmulatedElectron({ platform: 'p1', mode: 'firmware' }).device!.productId).toBe(0xc008)
  })

  it('P1 alt 2 is selectable and behaves as a flash of 4K sectors, apart from the internal flash', async () => {
    const { emu, device } = await dfuBoard({ platform: 'p1' })
    await device.selectAlternateInterface(0, 2)
    await erase(device, 0x1000)
    await writeAt(device, 0x1000, Uint8Array.of(1, 2, 3, 4))
    expect(await readAt(device, 0x1000, 6)).toEqual([1, 2, 3, 4, 0xff, 0xff])
    expect(emu.flashLog).toEqual([])
  })

  it('an unknown platform, mode or left-over state, or a serial number longer than a string descriptor holds, is a BAD_OPTION', () => {
    const attempt = (create: () => unknown) => {
      try {
        create()
      } catch (error) {
        return isFlashdataError(error, 'BAD_OPTION')
      }
      return false
    }
    expect(attempt(() => new EmulatedElectron({ platform: 'argon' as 'p1' }))).toBe(true)
    expect(attempt(() => new EmulatedElectron({ serialNumber: 'x'.repeat(127) }))).toBe(true)
    expect(attempt(() => new EmulatedElectron({ serialNumber: 'x'.repeat(126) }))).toBe(false)
    expect(attempt(() => new EmulatedElectron({ mode: 'listening' as 'dfu' }))).toBe(true)
    expect(attempt(() => new EmulatedElectron({ dfuState: 'dfuIDLE' as 'dfuERROR' }))).toBe(true)
  })
})
