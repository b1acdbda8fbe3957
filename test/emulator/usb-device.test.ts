// The WebUSB-shaped device: it enforces src/usb/types.ts' preconditions and fails with its UsbError kinds, so host bugs show here first.
import { describe, expect, it } from 'vitest'
import { EmulatedElectron } from '../../src/emulator/index.js'
import { GETSTATUS, STATE, classIn, classOut, dfuBoard, getStatus } from './helpers.js'

const getStatusSetup = { requestType: 'class', recipient: 'interface', request: GETSTATUS, value: 0, index: 0 } as const

describe('USBDevice adapter', () => {
  it('transfers on a device that is not open reject', async () => {
    const device = new EmulatedElectron().device!
    await expect(device.controlTransferIn(getStatusSetup, 6)).rejects.toMatchObject({
      kind: 'state',
      message: 'controlTransferIn: the device is not open',
    })
    await expect(device.claimInterface(0)).rejects.toMatchObject({ kind: 'state' })
  })

  it('transfers before any interface is claimed reject (the usb package routes control transfers through a claimed interface)', async () => {
    const device = new EmulatedElectron().device!
    await device.open()
    await expect(device.controlTransferOut(getStatusSetup)).rejects.toMatchObject({
      kind: 'state',
      message: 'controlTransferOut: no interface is claimed',
    })
  })

  it('claiming an interface the configuration does not have rejects', async () => {
    const device = new EmulatedElectron().device!
    await device.open()
    await expect(device.claimInterface(1)).rejects.toMatchObject({ kind: 'invalid' })
  })

  it('releasing an interface that is not claimed rejects; close releases every claim', async () => {
    const { device } = await dfuBoard()
    await expect(device.releaseInterface(2)).rejects.toMatchObject({ kind: 'state' })
    expect(device.configuration!.interfaces[0].claimed).toBe(true)
    await device.close()
    expect(device.opened).toBe(false)
    expect(device.configuration!.interfaces[0].claimed).toBe(false)
    await expect(getStatus(device)).rejects.toMatchObject({ kind: 'state' })
  })

  it('a STALL resolves with status "stall" and no data, like WebUSB; OUT reports bytesWritten', async () => {
    const { device } = await dfuBoard()
    expect(await classOut(device, 1, 2, new Uint8Array(10))).toEqual({ status: 'ok', bytesWritten: 10 })
    expect(await classOut(device, 1, 2, new Uint8Array(10))).toEqual({ status: 'stall', bytesWritten: 0 })
    expect(await classIn(device, 2, 2, 64)).toEqual({ status: 'stall' })
  })

  it('IN data comes back as a DataView of at most the requested length', async () => {
    const { device } = await dfuBoard()
    const result = await classIn(device, GETSTATUS, 0, 3)
    expect(result.data).toBeInstanceOf(DataView)
    expect(result.data!.byteLength).toBe(3)
  })

  it('selecting an alternate setting the descriptors do not list rejects without reaching the board (Linux checks it)', async () => {
    const { device } = await dfuBoard()
    await expect(device.selectAlternateInterface(0, 2)).rejects.toMatchObject({ kind: 'invalid' })
    await device.releaseInterface(0)
    await expect(device.selectAlternateInterface(0, 1)).rejects.toMatchObject({ kind: 'state' })
  })

  it('selectConfiguration rejects an unknown value, and while interfaces are claimed', async () => {
    const { device } = await dfuBoard()
    await expect(device.selectConfiguration(2)).rejects.toMatchObject({ kind: 'invalid' })
    await expect(device.selectConfiguration(1)).rejects.toMatchObject({ kind: 'state' })
  })

  it('configurations come from the descriptors; like usb v3, interface.alternate is the first alternate setting', async () => {
    const { device } = await dfuBoard()
    await device.selectAlternateInterface(0, 1)
    const [iface] = device.configuration!.interfaces
    expect(iface.alternate.alternateSetting).toBe(0)
    expect(device.configurations).toHaveLength(1)
    expect(device.configuration!.configurationName).toBe('Electron DFU Mode')
  })

  it('a request the board never answers rejects after timeoutMs with a "timed out" error; the board answers later requests', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.neverAnswer({ request: GETSTATUS })
    await expect(device.controlTransferIn(getStatusSetup, 6, 20)).rejects.toMatchObject({
      kind: 'timeout',
      message: 'controlTransferIn: transfer timed out after 20 ms',
    })
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuIDLE, 0])
  })

  it('control transfers are queued like EP0: a transfer issued during a hung one waits for its timeout', async () => {
    const { emu, device } = await dfuBoard()
    emu.faults.neverAnswer({ request: GETSTATUS })
    const hung = device.controlTransferIn(getStatusSetup, 6, 20)
    const next = getStatus(device)
    await expect(hung).rejects.toMatchObject({ kind: 'timeout' })
    expect(await next).toEqual([0, 0, 0, 0, STATE.dfuIDLE, 0])
  })

  it('a device whose board went away rejects everything with "device disconnected", open included', async () => {
    const { emu, device } = await dfuBoard()
    emu.unplug()
    expect(emu.device).toBeNull()
    await expect(getStatus(device)).rejects.toMatchObject({ kind: 'disconnected' })
    await expect(device.open()).rejects.toMatchObject({ kind: 'disconnected' })
    await expect(device.selectAlternateInterface(0, 1)).rejects.toMatchObject({ kind: 'disconnected' })
  })

  it('setup values out of range are refused before anything is sent', async () => {
    const { device } = await dfuBoard()
    await expect(device.controlTransferIn({ ...getStatusSetup, value: 0x10000 }, 6)).rejects.toThrow(TypeError)
    await expect(device.controlTransferIn(getStatusSetup, 0x10000)).rejects.toThrow(TypeError)
  })
})
