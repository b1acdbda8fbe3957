/**
 * The descriptors the boards present, byte for byte (docs/electron-bootloader.md#descriptors).
 *
 * DFU mode is taken from the Gen 2 bootloader (usbd_desc.c, usbd_dfu_core.c):
 * 2b04:d00a, bcdDevice 0x0250, one configuration of 36 bytes with interface
 * 0 alts 0 and 1 (iInterface 6 and 7) and one DFU functional descriptor after
 * the last alt. Normal mode (Device OS running) is a composite device: CDC
 * "Serial" on interfaces 0/1, the vendor control interface 2 and CDC
 * "USBSerial1" on 3/4. The sources give their classes, not their bytes: the
 * endpoint numbers, interface strings and bcdDevice here are our choice.
 */

export type Platform = 'electron' | 'photon' | 'p1'
export type BoardMode = 'dfu' | 'firmware'

const PARTICLE_VENDOR_ID = 0x2b04

interface PlatformInfo {
  name: string
  dfuProductId: number
  firmwareProductId: number
  /** The P1 alone has an external serial flash, exposed as DFU alt 2. */
  serialFlash: boolean
}

export const PLATFORMS: Readonly<Record<Platform, PlatformInfo>> = {
  electron: { name: 'Electron', dfuProductId: 0xd00a, firmwareProductId: 0xc00a, serialFlash: false },
  photon: { name: 'Photon', dfuProductId: 0xd006, firmwareProductId: 0xc006, serialFlash: false },
  p1: { name: 'P1', dfuProductId: 0xd008, firmwareProductId: 0xc008, serialFlash: true },
}

/** The DfuSe memory-layout strings; note the three spaces before the first '/'. */
const ALT_NAMES = [
  '@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg',
  '@DCT Flash   /0x00000000/01*016Kg',
  '@Serial Flash   /0x00000000/256*004Kg',
] as const

export const DFU_TRANSFER_SIZE = 4096
/** bmAttributes 0x0B (download, upload, will-detach), detach 255 ms, 4096-byte transfers, DfuSe 1.1a. */
export const DFU_FUNCTIONAL_DESCRIPTOR = Uint8Array.of(0x09, 0x21, 0x0b, 0xff, 0x00, 0x00, 0x10, 0x1a, 0x01)

export const DESCRIPTOR_TYPE = {
  device: 1,
  configuration: 2,
  string: 3,
  interface: 4,
  endpoint: 5,
  dfuFunctional: 0x21,
} as const

export interface DescriptorSet {
  device: Uint8Array
  /** The full configuration descriptor (wTotalLength bytes). */
  configuration: Uint8Array
  /** String index -> text, for every index the board answers except 0 (LANGID) and 0xEE (MSFT). */
  strings: ReadonlyMap<number, string>
  /** The number of alternate settings each interface accepts in SET_INTERFACE, by interface number. */
  alternates: readonly number[]
  /** Whether string 0xEE is the Microsoft OS string (WCID); the bootloader has it. */
  msOsString: boolean
}

const lo = (n: number) => n & 0xff
const hi = (n: number) => (n >> 8) & 0xff

function deviceDescriptor(productId: number, deviceClass: readonly number[]): Uint8Array {
  return Uint8Array.of(
    18,
    DESCRIPTOR_TYPE.device,
    0x00,
    0x02,
    ...deviceClass,
    64,
    lo(PARTICLE_VENDOR_ID),
    hi(PARTICLE_VENDOR_ID),
    lo(productId),
    hi(productId),
    0x50,
    0x02,
    1,
    2,
    3,
    1,
  )
}

function configuration(interfaces: number, iConfiguration: number, body: number[]): Uint8Array {
  const total = 9 + body.length
  return Uint8Array.of(
    9,
    DESCRIPTOR_TYPE.configuration,
    lo(total),
    hi(total),
    interfaces,
    1,
    iConfiguration,
    0xc0,
    0x32,
    ...body,
  )
}

function iface(number: number, alt: number, endpoints: number, cls: readonly number[], iInterface: number): number[] {
  return [9, DESCRIPTOR_TYPE.interface, number, alt, endpoints, ...cls, iInterface]
}

function endpoint(address: number, attributes: number, packetSize: number, interval: number): number[] {
  return [7, DESCRIPTOR_TYPE.endpoint, address, attributes, lo(packetSize), hi(packetSize), interval]
}

export function dfuDescriptors(platform: Platform, serialNumber: string): DescriptorSet {
  const info = PLATFORMS[platform]
  const altCount = info.serialFlash ? 3 : 2
  const alts = Array.from({ length: altCount }, (_, alt) => iface(0, alt, 0, [0xfe, 0x01, 0x02], 5 + alt + 1))
  const strings = new Map<number, string>([
    [1, 'Particle'],
    [2, `${info.name} DFU Mode`],
    [3, serialNumber],
    [4, 'DFU'],
    [5, 'DFU'],
  ])
  for (const [alt, name] of ALT_NAMES.slice(0, altCount).entries()) strings.set(6 + alt, name)
  return {
    device: deviceDescriptor(info.dfuProductId, [0, 0, 0]),
    configuration: configuration(1, 2, [...alts.flat(), ...DFU_FUNCTIONAL_DESCRIPTOR]),
    strings,
    alternates: [altCount],
    msOsString: true,
  }
}

/** A CDC ACM function: interface association, communication interface with its functional descriptors, data interface. */
function cdcFunction(control: number, notifyEp: number, dataEp: number, iFunction: number): number[] {
  return [
    8,
    0x0b,
    control,
    2,
    0x02,
    0x02,
    0x01,
    iFunction,
    ...iface(control, 0, 1, [0x02, 0x02, 0x01], iFunction),
    5,
    0x24,
    0x00,
    0x10,
    0x01,
    5,
    0x24,
    0x01,
    0x00,
    control + 1,
    4,
    0x24,
    0x02,
    0x02,
    5,
    0x24,
    0x06,
    control,
    control + 1,
    ...endpoint(0x80 | notifyEp, 0x03, 8, 0xff),
    ...iface(control + 1, 0, 2, [0x0a, 0x00, 0x00], 0),
    ...endpoint(dataEp, 0x02, 64, 0),
    ...endpoint(0x80 | dataEp, 0x02, 64, 0),
  ]
}

export function firmwareDescriptors(platform: Platform, serialNumber: string): DescriptorSet {
  const info = PLATFORMS[platform]
  const body = [...cdcFunction(0, 2, 1, 4), ...iface(2, 0, 0, [0xff, 0xff, 0xff], 5), ...cdcFunction(3, 4, 3, 6)]
  return {
    device: deviceDescriptor(info.firmwareProductId, [0xef, 0x02, 0x01]),
    configuration: configuration(5, 0, body),
    strings: new Map([
      [1, 'Particle'],
      [2, info.name],
      [3, serialNumber],
      [4, `${info.name} Serial`],
      [5, `${info.name} Control Interface`],
      [6, `${info.name} USBSerial1`],
    ]),
    alternates: [1, 1, 1, 1, 1],
    msOsString: false,
  }
}

export function stringDescriptor(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2)
  out[0] = out.length
  out[1] = DESCRIPTOR_TYPE.string
  for (let i = 0; i < text.length; i++) {
    out[2 + i * 2] = lo(text.charCodeAt(i))
    out[3 + i * 2] = hi(text.charCodeAt(i))
  }
  return out
}

/** String 0: the one supported language, US English. */
export const LANGID_DESCRIPTOR = Uint8Array.of(4, DESCRIPTOR_TYPE.string, 0x09, 0x04)

/** Windows (WCID) support: string 0xEE "MSFT100" announces vendor code 0xEE. */
export const MS_OS_STRING_INDEX = 0xee
export const MS_VENDOR_CODE = 0xee
export const MS_OS_STRING_DESCRIPTOR = Uint8Array.of(
  0x12,
  DESCRIPTOR_TYPE.string,
  ...utf16('MSFT100'),
  MS_VENDOR_CODE,
  0x00,
)

/** Extended Compat ID descriptor (vendor request 0xC0/0xEE, wIndex 4): interface 0 is "WINUSB". */
export const WCID_COMPAT_ID_DESCRIPTOR = Uint8Array.of(
  0x28,
  0,
  0,
  0,
  0x00,
  0x01,
  0x04,
  0x00,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0x00,
  0x01,
  ...ascii('WINUSB\0\0'),
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
)

/** Extended Properties descriptor (0xC1/0xEE, wIndex 5): DeviceInterfaceGUIDs, REG_MULTI_SZ. */
export const WCID_EXTENDED_PROPERTIES_DESCRIPTOR = (() => {
  const name = utf16('DeviceInterfaceGUIDs\0')
  const data = new Uint8Array(0x50)
  data.set(utf16('{37fb5f90-1a34-4929-933b-8a27e1850033}'))
  const section = [
    ...le32(8 + 2 + name.length + 4 + data.length),
    ...le32(7),
    lo(name.length),
    hi(name.length),
    ...name,
    ...le32(data.length),
    ...data,
  ]
  return Uint8Array.of(...le32(10 + section.length), 0x00, 0x01, 0x05, 0x00, 0x01, 0x00, ...section)
})()

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0))
}

function utf16(text: string): number[] {
  return [...stringDescriptor(text).subarray(2)]
}

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
}
