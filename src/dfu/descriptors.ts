/**
 * Reading the DFU interface's descriptors over GET_DESCRIPTOR: the
 * configuration descriptor (functional descriptor, alternates' string
 * indexes), the functional descriptor alone, and string descriptors.
 */
import { FlashdataError } from '../errors.js'
import { bytes, hex16 } from '../text.js'
import type { UsbDeviceLike, UsbInTransferResult } from '../usb/types.js'
import { isParticleGen2Dfu } from './guard.js'
import { parseMemoryLayout, withElectronProtection, type MemoryLayout } from './layout.js'
import {
  DFU_FUNCTIONAL_DESCRIPTOR_TYPE,
  DFUSE_VERSION,
  parseConfigurationDescriptor,
  parseFunctionalDescriptor,
  type DfuFunctionalDescriptor,
  type DfuInterfaceDescriptors,
} from './protocol.js'
import type { DfuTransport } from './transport.js'

const CONFIGURATION = 0x02
const STRING = 0x03
const DEFAULT_LANGID = 0x0409

function bytesOf(result: UsbInTransferResult, what: string, minimum: number): Uint8Array {
  if (result.status === 'stall' || result.data === undefined || result.data.byteLength < minimum) {
    const got = result.status === 'stall' ? 'a stall' : bytes(result.data?.byteLength ?? 0)
    throw new FlashdataError('DFU_PROTOCOL', `Reading the ${what} descriptor returned ${got}`)
  }
  return new Uint8Array(result.data.buffer, result.data.byteOffset, result.data.byteLength)
}

/** Configuration descriptor indexes tried for the active configuration (DfuSe devices have one). */
const MAX_CONFIGURATIONS = 8

/**
 * The active configuration's descriptor: 9 bytes (wTotalLength,
 * bConfigurationValue) at each index until the value matches, then all of
 * it. Found over the wire rather than through the stack's list of
 * configurations: the `usb` package reads every interface name of every
 * configuration for that list, several blocking transfers at each open.
 */
async function readDfuInterfaceDescriptors(
  usb: DfuTransport,
  configurationValue: number,
): Promise<DfuInterfaceDescriptors> {
  for (let index = 0; index < MAX_CONFIGURATIONS; index++) {
    const head = bytesOf(await usb.getDescriptor(CONFIGURATION, index, 9), 'configuration', 9)
    if (head[5] !== configurationValue) continue
    const total = head[2] | (head[3] << 8)
    const full = bytesOf(await usb.getDescriptor(CONFIGURATION, index, total), 'configuration', total)
    return parseConfigurationDescriptor(full.subarray(0, total), usb.interfaceNumber)
  }
  throw new FlashdataError('DFU_PROTOCOL', `The device has no descriptor for its configuration ${configurationValue}`)
}

/** GET_DESCRIPTOR(DFU functional) to the interface, for stacks that hide it from the configuration. */
async function readFunctionalDescriptor(usb: DfuTransport): Promise<DfuFunctionalDescriptor> {
  const result = await usb.getDescriptor(DFU_FUNCTIONAL_DESCRIPTOR_TYPE, 0, 9, { toInterface: true })
  return parseFunctionalDescriptor(bytesOf(result, 'DFU functional', 9))
}

/** A string descriptor in the device's first language, decoded from UTF-16LE. */
async function readStringDescriptor(usb: DfuTransport, index: number): Promise<string> {
  const languages = await usb.getDescriptor(STRING, 0, 255)
  const langId =
    languages.status === 'ok' && languages.data !== undefined && languages.data.byteLength >= 4
      ? languages.data.getUint16(2, true)
      : DEFAULT_LANGID
  const bytes = bytesOf(await usb.getDescriptor(STRING, index, 255, { langId }), `string ${index}`, 2)
  const end = Math.min(bytes[0], bytes.length)
  let text = ''
  for (let pos = 2; pos + 1 < end; pos += 2) text += String.fromCharCode(bytes[pos] | (bytes[pos + 1] << 8))
  return text
}

export interface DfuTarget {
  functional: DfuFunctionalDescriptor
  /** With the Particle Gen 2 protection applied on alt 0. */
  layout: MemoryLayout
}

/** The functional descriptor and memory layout of one alternate setting, checked for DfuSe use. */
export async function readDfuTarget(usb: DfuTransport, alt: number): Promise<DfuTarget> {
  const { device, interfaceNumber } = usb
  const descriptors = await readDfuInterfaceDescriptors(usb, device.configuration?.configurationValue ?? 1)
  const functional = descriptors.functional ?? (await readFunctionalDescriptor(usb))
  checkFunctional(device, functional)
  // Some stacks give no interface names; the string index is in the configuration descriptor.
  let name = device.configuration?.interfaces
    .find((i) => i.interfaceNumber === interfaceNumber)
    ?.alternates.find((a) => a.alternateSetting === alt)?.interfaceName
  if (!name) {
    const index = descriptors.altNames.get(alt)
    if (!index)
      throw new FlashdataError('DFU_PROTOCOL', `DFU interface ${interfaceNumber} has no named alternate setting ${alt}`)
    name = await readStringDescriptor(usb, index)
  }
  const layout = parseMemoryLayout(name)
  return { functional, layout: alt === 0 && isParticleGen2Dfu(device) ? withElectronProtection(layout) : layout }
}

/** A clear error for a wrong interface or alt, where the stack lists them, before any request. */
export function checkAlternate(device: UsbDeviceLike, interfaceNumber: number, alt: number): void {
  const alternates = device.configuration?.interfaces.find((i) => i.interfaceNumber === interfaceNumber)?.alternates
  if (alternates === undefined) return
  const chosen = alternates.find((a) => a.alternateSetting === alt)
  if (chosen === undefined) {
    const known = alternates.map((a) => a.alternateSetting).join(', ')
    throw new FlashdataError(
      'DFU_PROTOCOL',
      `USB interface ${interfaceNumber} has no alternate setting ${alt} (it has ${known})`,
    )
  }
  if (chosen.interfaceClass !== 0xfe || chosen.interfaceSubclass !== 0x01) {
    throw new FlashdataError(
      'DFU_PROTOCOL',
      `USB interface ${interfaceNumber} is not a DFU interface: is the board in DFU mode?`,
    )
  }
}

function checkFunctional(device: UsbDeviceLike, functional: DfuFunctionalDescriptor): void {
  if (functional.dfuVersion !== DFUSE_VERSION) {
    throw new FlashdataError(
      'DFU_PROTOCOL',
      `Not a DfuSe device: bcdDFU is ${hex16(functional.dfuVersion)}, expected ${hex16(DFUSE_VERSION)}`,
    )
  }
  // The Gen 2 bootloader strides blocks by its fixed 4096-byte buffer, whatever the descriptor says.
  const required = isParticleGen2Dfu(device) ? 4096 : undefined
  if (functional.transferSize === 0 || (required !== undefined && functional.transferSize !== required)) {
    throw new FlashdataError(
      'DFU_PROTOCOL',
      `Unsupported DFU transfer size ${functional.transferSize}${required ? ` (this bootloader needs ${required})` : ''}`,
    )
  }
}
