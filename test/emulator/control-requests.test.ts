// Device OS's USB control requests in firmware mode, as Device OS 2.3.1 answers them on a Gen 2 board.
// Sources (particle-iot/device-os tag v2.3.1, file:line):
//   CH  = system/src/usb_control_request_channel.cpp   (the INIT/CHECK/SEND/RECV/RESET channel, raw 0x50 requests)
//   SCI = system/src/system_control_internal.cpp        (SystemControl::processRequest: what each type does)
//   CFG = system/src/control/config.cpp                 (reply data of the config requests)
//   HAL = hal/src/stm32f2xx/usb_hal.c                    (HAL_USB_Handle_Vendor_Request: buffers, data stages)
//   SC  = system/inc/system_control.h                    (request type numbers)
//   Replies are protobuf messages from firmware-protobuf control/config.proto (proto3).
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, type EmulatedElectronOptions } from '../../src/emulator/index.js'
import { INSTANT_TIMING } from '../../src/emulator/timing.js'
import type { UsbDeviceLike } from '../../src/usb/types.js'
import { bytes, nextEvent, openDevice } from './helpers.js'

const ID = 'e00fce68a1b2c3d4e5f60718'

async function board(options: EmulatedElectronOptions = {}) {
  const emu = new EmulatedElectron({ mode: 'firmware', serialNumber: ID, ...options })
  return { emu, device: await openDevice(emu.device) }
}

const vendorIn = (device: UsbDeviceLike, request: number, index: number, { value = 0, length = 64 } = {}) =>
  device.controlTransferIn({ requestType: 'vendor', recipient: 'device', request, value, index }, length)
const vendorOut = (device: UsbDeviceLike, request: number, index: number, data?: Uint8Array<ArrayBuffer>) =>
  device.controlTransferOut({ requestType: 'vendor', recipient: 'device', request, value: 0, index }, data)
const text = (view: DataView | undefined) => Buffer.from(bytes(view)).toString('latin1')

/** Service reply: u32 flags (1 status, 2 id, 4 size, 8 result), u16 status, then the flagged fields (CH:100-128). */
function serviceReply(view: DataView | undefined) {
  const flags = view!.getUint32(0, true)
  const out: Record<string, number> = { flags, status: view!.getUint16(4, true) }
  let offset = 6
  if (flags & 2) {
    out.id = view!.getUint16(offset, true)
    offset += 2
  }
  if (flags & 4) {
    out.size = view!.getUint32(offset, true)
    offset += 4
  }
  if (flags & 8) out.result = view!.getInt32(offset, true)
  return out
}

/** A whole request as particle-usb sends it: INIT, SEND (payload), CHECK, RECV (reply). */
async function controlRequest(
  device: UsbDeviceLike,
  type: number,
  payload: Uint8Array<ArrayBuffer> = new Uint8Array(0),
) {
  const init = serviceReply((await vendorIn(device, 1, type, { value: payload.length })).data)
  if (payload.length) expect((await vendorOut(device, 3, init.id, payload)).status).toBe('ok')
  const check = serviceReply((await vendorIn(device, 2, init.id)).data)
  const data = check.size ? bytes((await vendorIn(device, 4, init.id, { length: check.size })).data) : []
  return { init, check, data }
}

const protoString = (s: string) => [0x0a, s.length, ...Buffer.from(s)]

describe('Device OS control request channel (CH)', () => {
  it('INIT answers OK with a fresh id for any type (CH:294-355); CHECK answers OK with the result (CH:385-393)', async () => {
    const { device } = await board()
    const first = serviceReply((await vendorIn(device, 1, 30)).data)
    expect(first).toEqual({ flags: 0x03, status: 0, id: 1 })
    expect(serviceReply((await vendorIn(device, 1, 9999)).data)).toEqual({ flags: 0x03, status: 0, id: 2 })
    expect(serviceReply((await vendorIn(device, 2, first.id)).data)).toEqual({
      flags: 0x0d,
      status: 0,
      size: 7,
      result: 0,
    })
  })

  it('a type Device OS does not handle completes with result NOT_SUPPORTED (-120) (SCI:349-356, wiring/src/user.cpp:190)', async () => {
    const { device } = await board()
    for (const type of [0, 10, 31, 73, 74, 80, 90, 100, 400, 500, 550, 9999]) {
      const { init, check } = await controlRequest(device, type)
      expect([type, init.status, check]).toEqual([type, 0, { flags: 0x09, status: 0, result: -120 }])
    }
  })

  it('INIT and CHECK need a 64-byte data stage, else they stall (CH:295, CH:359)', async () => {
    const { device } = await board()
    expect((await vendorIn(device, 1, 20, { length: 63 })).status).toBe('stall')
    const { id } = serviceReply((await vendorIn(device, 1, 20)).data)
    expect((await vendorIn(device, 2, id, { length: 8 })).status).toBe('stall')
  })

  it('at most 4 active requests: the fifth INIT answers BUSY (3) without an id (CH:298-300, usb_control_request_channel.h:31)', async () => {
    const { device } = await board()
    for (let i = 0; i < 4; i++) expect(serviceReply((await vendorIn(device, 1, 20)).data).status).toBe(0)
    expect(serviceReply((await vendorIn(device, 1, 20)).data)).toEqual({ flags: 0x01, status: 3 })
  })

  it('a reply is fetched with RECV; the request is gone once its last byte is out (CH:439-466, CH:686-694)', async () => {
    const { device } = await board()
    const { id } = serviceReply((await vendorIn(device, 1, 20)).data)
    expect(serviceReply((await vendorIn(device, 2, id)).data)).toEqual({ flags: 0x0d, status: 0, size: 26, result: 0 })
    expect((await vendorIn(device, 4, id, { length: 27 })).status).toBe('stall') // more than the reply holds
    expect(text((await vendorIn(device, 4, id, { length: 10 })).data)).toBe(`\n\x18${ID.slice(0, 8)}`)
    expect(text((await vendorIn(device, 4, id, { length: 16 })).data)).toBe(ID.slice(8))
    expect(serviceReply((await vendorIn(device, 2, id)).data)).toEqual({ flags: 0x01, status: 5 })
  })

  it('a payload is sent with SEND (OUT, bRequest 3) after INIT with wValue = its size; CHECK before it is complete answers OK without a result (CH:331-336, CH:379-381, CH:402-436)', async () => {
    const { device } = await board()
    const payload = Uint8Array.from({ length: 100 }, (_, i) => i)
    const init = serviceReply((await vendorIn(device, 1, 1, { value: 100 })).data)
    expect(init).toEqual({ flags: 0x03, status: 2, id: init.id }) // over 64 bytes: allocated later, PENDING (CH:337-343)
    expect(serviceReply((await vendorIn(device, 2, init.id)).data)).toEqual({ flags: 0x01, status: 0 })
    expect((await vendorOut(device, 3, init.id, payload.slice(0, 60))).status).toBe('ok')
    expect((await vendorOut(device, 3, init.id, payload.slice(0, 41))).status).toBe('stall') // 60 + 41 > 100
    expect((await vendorOut(device, 3, init.id, payload.slice(60))).status).toBe('ok')
    const check = serviceReply((await vendorIn(device, 2, init.id)).data)
    expect(check).toEqual({ flags: 0x0d, status: 0, size: 100, result: 0 })
    expect(bytes((await vendorIn(device, 4, init.id, { length: 64 })).data)).toEqual([...payload.slice(0, 64)])
  })

  it('CHECK and RESET of an unknown id answer NOT_FOUND (5); RESET with id 0 cancels all (CH:395-397, CH:482-495)', async () => {
    const { device } = await board()
    expect(serviceReply((await vendorIn(device, 2, 999)).data)).toEqual({ flags: 0x01, status: 5 })
    expect(serviceReply((await vendorIn(device, 5, 999)).data)).toEqual({ flags: 0x01, status: 5 })
    const a = serviceReply((await vendorIn(device, 1, 20)).data)
    const b = serviceReply((await vendorIn(device, 1, 30)).data)
    expect(serviceReply((await vendorIn(device, 5, 0)).data)).toEqual({ flags: 0x01, status: 0 })
    for (const { id } of [a, b]) expect(serviceReply((await vendorIn(device, 2, id)).data).status).toBe(5)
  })

  it('service request numbers 6-15 stall (CH:288-289), as do vendor requests to an interface', async () => {
    const { device } = await board()
    expect((await vendorIn(device, 6, 0)).status).toBe('stall')
    expect((await vendorIn(device, 0x0f, 0)).status).toBe('stall')
    const toInterface = await device.controlTransferIn(
      { requestType: 'vendor', recipient: 'interface', request: 1, value: 0, index: 20 },
      64,
    )
    expect(toInterface.status).toBe('stall')
  })
})

describe('Device OS control requests with data (SCI:107-358, CFG)', () => {
  it('20 device id: GetDeviceIdReply { id } as 24 lower-case hex digits (CFG:64-78)', async () => {
    const { device } = await board({ serialNumber: ID.toUpperCase() })
    const { check, data } = await controlRequest(device, 20)
    expect([check.result, data]).toEqual([0, protoString(ID)])
  })

  it('21 serial number: GetSerialNumberReply { serial } from OTP; -1 when the OTP holds none (CFG:80-92, hal/src/stm32f2xx/deviceid_hal.cpp:81-98)', async () => {
    const { device } = await board({ otpSerial: 'E40KAB123456789' })
    expect((await controlRequest(device, 21)).data).toEqual(protoString('E40KAB123456789'))
    const blank = await board({ otpSerial: null })
    expect((await controlRequest(blank.device, 21)).check).toEqual({ flags: 0x09, status: 0, result: -1 })
  })

  it('30 system version: GetSystemVersionReply { version: "2.3.1" } (CFG:94-103)', async () => {
    const { device } = await board()
    expect((await controlRequest(device, 30)).data).toEqual(protoString('2.3.1'))
  })

  it('72 device mode: NORMAL_MODE (0, an empty message), LISTENING_MODE (08 01) after 70, back after 71 (CFG:161-170, SCI:165-178)', async () => {
    const { device } = await board()
    expect(await controlRequest(device, 72)).toMatchObject({ check: { flags: 0x09, status: 0, result: 0 }, data: [] })
    expect((await controlRequest(device, 70)).check.result).toBe(0)
    expect((await controlRequest(device, 72)).data).toEqual([0x08, 0x01])
    expect((await controlRequest(device, 71)).check.result).toBe(0)
    expect((await controlRequest(device, 72)).data).toEqual([])
  })

  it('1 echo returns the payload (CFG:252-259); 32 capabilities, 201 claimed and 300 cloud status are empty messages (all defaults on an emulated Electron)', async () => {
    const { device } = await board()
    expect((await controlRequest(device, 1, Uint8Array.of(1, 2, 3))).data).toEqual([1, 2, 3])
    for (const type of [32, 201, 300])
      expect(await controlRequest(device, type)).toMatchObject({ check: { flags: 0x09, result: 0 }, data: [] })
  })

  it('40 reset: result 0, then 1000 ms after the reply the board restarts its firmware (SCI:137-143)', async () => {
    const { emu, device } = await board({ timing: { ...INSTANT_TIMING, controlResetMs: 1000 } })
    const gone = nextEvent(emu)
    expect((await controlRequest(device, 40)).check).toEqual({ flags: 0x09, status: 0, result: 0 })
    expect(emu.device).toBe(device) // still answering until the 1 s delay runs out
    expect(await gone).toBeNull()
    const again = await emu.nextDevice()
    expect([again.productId, again.serialNumber, emu.mode]).toEqual([0xc00a, ID, 'firmware'])
  })

  it('50 DFU mode: result 0, then the board resets into DFU mode (SCI:151-157)', async () => {
    const { emu, device } = await board()
    expect((await controlRequest(device, 50)).check).toEqual({ flags: 0x09, status: 0, result: 0 })
    const dfu = await emu.nextDevice()
    expect([dfu.productId, dfu.serialNumber, emu.mode]).toEqual([0xd00a, ID, 'dfu'])
  })

  it('60 safe mode: result 0, then the board restarts Device OS (the same device on USB) (SCI:158-164)', async () => {
    const { emu, device } = await board()
    expect((await controlRequest(device, 60)).check.result).toBe(0)
    const again = await emu.nextDevice()
    expect([again.productId, emu.mode]).toEqual([0xc00a, 'firmware'])
  })

  it('a reset request cancelled after it was processed still resets: the completion handler ignores its result (CH:486-487, CH:585-594, SCI:138-141)', async () => {
    const { emu, device } = await board()
    const { id } = serviceReply((await vendorIn(device, 1, 50)).data)
    expect(serviceReply((await vendorIn(device, 5, id)).data)).toEqual({ flags: 0x01, status: 0 })
    expect((await emu.nextDevice()).productId).toBe(0xd00a)
  })
})

describe('raw Particle vendor requests, bRequest 0x50 (CH:499-552)', () => {
  it('IN wIndex 20: the device id as 24 upper-case hex digits, no NUL; a shorter wLength stalls (CH:512-521)', async () => {
    const { device } = await board()
    expect(text((await vendorIn(device, 0x50, 20)).data)).toBe(ID.toUpperCase())
    expect((await vendorIn(device, 0x50, 20, { length: 23 })).status).toBe('stall')
  })

  it('IN wIndex 30: the version, 5 bytes "2.3.1" without the NUL (CH:523-530)', async () => {
    const { device } = await board()
    expect(text((await vendorIn(device, 0x50, 30)).data)).toBe('2.3.1')
    expect((await vendorIn(device, 0x50, 30, { length: 4 })).status).toBe('stall')
  })

  it('IN with no data stage or one over 64 bytes stalls (HAL:119-140, CH:508-509); other types stall (CH:532-533)', async () => {
    const { device } = await board()
    expect((await vendorIn(device, 0x50, 30, { length: 0 })).status).toBe('stall')
    expect((await vendorIn(device, 0x50, 30, { length: 65 })).status).toBe('stall')
    expect((await vendorIn(device, 0x50, 21)).status).toBe('stall')
    expect((await vendorIn(device, 0x99, 0)).status).toBe('stall')
  })

  it('OUT wIndex 40 resets at once, before the status stage: the transfer fails as the board drops off, and it comes back running firmware (CH:538-541)', async () => {
    const { emu, device } = await board()
    const next = emu.nextDevice()
    await expect(vendorOut(device, 0x50, 40)).rejects.toThrow('device disconnected')
    const again = await next
    expect([again.productId, again.serialNumber, emu.mode]).toEqual([0xc00a, ID, 'firmware'])
  })

  it('OUT wIndex 302 (cloud disconnect) is acknowledged (CH:543-546); other OUT types stall (CH:547-548)', async () => {
    const { device } = await board()
    expect((await vendorOut(device, 0x50, 302)).status).toBe('ok')
    expect((await vendorOut(device, 0x50, 50)).status).toBe('stall')
  })
})

describe('Device OS 0.7.0: no service requests, the older raw channel (system/src/system_control.cpp at v0.7.0)', () => {
  const old = () => board({ deviceOsVersion: '0.7.0' })

  it('INIT stalls, so only 14400 baud switches it to DFU mode', async () => {
    const { device } = await old()
    expect((await vendorIn(device, 1, 50)).status).toBe('stall')
  })

  it('IN 30 returns "0.7.0" and two NULs (strncpy, wLength = sizeof("\\"0.7.0\\"") + 1: lines 189-190)', async () => {
    const { device } = await old()
    expect(text((await vendorIn(device, 0x50, 30)).data)).toBe('0.7.0\0\0')
  })

  it('IN 20 returns the device id NUL-terminated, or the 12 raw bytes with wValue 1 (lines 158-180)', async () => {
    const { device } = await old()
    expect(text((await vendorIn(device, 0x50, 20)).data)).toBe(`${ID.toUpperCase()}\0`)
    expect(Buffer.from(bytes((await vendorIn(device, 0x50, 20, { value: 1 })).data)).toString('hex')).toBe(ID)
  })

  it('OUT 40 is acknowledged, then the board restarts (lines 130-139, 290-292)', async () => {
    const { emu, device } = await old()
    expect((await vendorOut(device, 0x50, 40)).status).toBe('ok')
    expect((await emu.nextDevice()).productId).toBe(0xc00a)
  })
})
