import { describe, expect, it } from 'vitest'
import { isFlashdataError, parseStatus, stateName, statusName, UsbError, usbError } from '../../src/index.js'
import { parseConfigurationDescriptor, parseFunctionalDescriptor } from '../../src/dfu/protocol.js'

// The Electron's DFU configuration descriptor (docs/electron-bootloader.md#descriptors): two alts, one
// functional descriptor after the last.
const ELECTRON_CONFIGURATION = Uint8Array.of(
  0x09,
  0x02,
  0x24,
  0x00,
  0x01,
  0x01,
  0x02,
  0xc0,
  0x32,
  0x09,
  0x04,
  0x00,
  0x00,
  0x00,
  0xfe,
  0x01,
  0x02,
  0x06,
  0x09,
  0x04,
  0x00,
  0x01,
  0x00,
  0xfe,
  0x01,
  0x02,
  0x07,
  0x09,
  0x21,
  0x0b,
  0xff,
  0x00,
  0x00,
  0x10,
  0x1a,
  0x01,
)

const view = (...bytes: number[]) => new DataView(Uint8Array.from(bytes).buffer)

describe('GETSTATUS record', () => {
  it('decodes status, 24-bit little-endian poll timeout, state and iString', () => {
    expect(parseStatus(view(0x0e, 0x01, 0x02, 0x03, 0x0a, 0x00))).toEqual({
      status: 0x0e,
      pollTimeoutMs: 0x030201,
      state: 10,
      iString: 0,
    })
  })

  it('rejects a short reply as DFU_PROTOCOL', () => {
    expect(() => parseStatus(view(0, 0, 0, 0, 2))).toThrow(/returned 5 bytes instead of 6/)
    expect(() => parseStatus(undefined)).toThrow(/returned 0 bytes/)
  })

  it('names states and statuses', () => {
    expect([stateName(5), stateName(10), stateName(15)]).toEqual(['dfuDNLOAD_IDLE', 'dfuERROR', 'unknown state 15'])
    expect([statusName(0), statusName(0x0e), statusName(0x42)]).toEqual(['OK', 'errUNKNOWN', 'unknown status 0x42'])
  })
})

describe('descriptors', () => {
  it("finds the alternates' string indexes and the functional descriptor after the last alt", () => {
    const { altNames, functional } = parseConfigurationDescriptor(ELECTRON_CONFIGURATION, 0)
    expect([...altNames]).toEqual([
      [0, 6],
      [1, 7],
    ])
    expect(functional).toEqual({
      attributes: 0x0b,
      canDownload: true,
      canUpload: true,
      manifestationTolerant: false,
      willDetach: true,
      detachTimeoutMs: 255,
      transferSize: 4096,
      dfuVersion: 0x011a,
    })
  })

  it('ignores other interfaces', () => {
    expect(parseConfigurationDescriptor(ELECTRON_CONFIGURATION, 1)).toEqual({
      altNames: new Map(),
      functional: undefined,
    })
  })

  it('rejects a truncated or zero-length descriptor', () => {
    expect(() => parseConfigurationDescriptor(ELECTRON_CONFIGURATION.subarray(0, 30), 0)).toThrow(
      /malformed at byte 27/,
    )
    expect(() =>
      parseConfigurationDescriptor(Uint8Array.of(0x09, 0x02, 0x0b, 0, 1, 1, 0, 0xc0, 0x32, 0x00, 0x04), 0),
    ).toThrow(/malformed at byte 9/)
  })

  it('rejects a DFU 1.0 functional descriptor (7 bytes, no bcdDFU)', () => {
    expect(() => parseFunctionalDescriptor(Uint8Array.of(0x07, 0x21, 0x0b, 0xff, 0x00, 0x00, 0x10))).toThrow(
      /7 bytes, expected 9/,
    )
  })
})

describe('USB error mapping', () => {
  it.each([
    ['disconnected', 'DISCONNECTED'],
    ['timeout', 'TIMEOUT'],
    ['busy', 'BUSY'],
    ['access', 'USB_ACCESS'],
    ['stall', 'USB_TRANSFER'],
    ['state', 'USB_TRANSFER'],
    ['invalid', 'USB_TRANSFER'],
    ['transfer', 'USB_TRANSFER'],
  ] as const)('a UsbError of kind %s is %s, whatever its message says', (kind, code) => {
    const cause = new UsbError(kind, 'the quick brown fox')
    const error = usbError(cause, 'getstatus request')
    expect(error.code).toBe(code)
    expect(error.message).toMatch(/^(The board was disconnected: )?USB getstatus request failed: the quick brown fox$/)
    expect(error.cause).toBe(cause)
  })

  it('reads no message: an unclassified failure is a transfer error, whatever it says', () => {
    expect(usbError(new Error('controlTransferIn error: device disconnected'), 'x').code).toBe('USB_TRANSFER')
    expect(usbError(Object.assign(new Error('Access denied.'), { name: 'SecurityError' }), 'x').code).toBe(
      'USB_TRANSFER',
    )
  })

  it('passes a FlashdataError through unchanged', () => {
    const original = usbError(new UsbError('disconnected', 'gone'), 'x')
    expect(usbError(original, 'y')).toBe(original)
    expect(isFlashdataError(original, 'DISCONNECTED')).toBe(true)
  })
})
