/**
 * What a data sector holds before flashdata overwrites it: nothing (erased
 * flash), a flashdata image, a Particle firmware module (the factory backup
 * that `particle flash --usb --factory` puts at 0x080A0000), or bytes nobody
 * here recognises. Pure functions over bytes.
 */
import { MAGIC } from './format.js'
import { hex32 } from '../text.js'

export interface ParticleModule {
  platformId: number
  /** "electron", "photon", ... or "platform N". */
  platform: string
  /** "user part", "system part", "bootloader", ... */
  function: string
  index: number
  version: number
  startAddress: number
  endAddress: number
  /** Where the module header sits in the sector (0, or 0x184 after a Gen 2 vector table). */
  offset: number
}

export type SectorContents =
  | { kind: 'blank' }
  | { kind: 'flashdata' }
  | { kind: 'particle-module'; module: ParticleModule }
  | { kind: 'unknown' }

/** Someone else's data: neither erased nor a flashdata image (what a push saves before overwriting it). */
export type ForeignContents = Exclude<SectorContents, { kind: 'blank' } | { kind: 'flashdata' }>

/** Device OS module_info_t: 24 bytes, little-endian. */
export const MODULE_INFO_SIZE = 24
/** Offsets where Device OS puts module_info_t: the start, or after the STM32F2 vector table. */
const MODULE_INFO_OFFSETS = [0, 0x184]

const FUNCTIONS = [
  'none',
  'resource',
  'bootloader',
  'monolithic firmware',
  'system part',
  'user part',
  'settings',
  'NCP firmware',
  'radio stack',
  'asset',
]
const PLATFORMS: Record<number, string> = {
  0: 'core',
  6: 'photon',
  8: 'p1',
  10: 'electron',
  12: 'argon',
  13: 'boron',
  14: 'xenon',
  22: 'asom',
  23: 'bsom',
  25: 'b5som',
  26: 'tracker',
  32: 'p2',
  35: 'msom',
}

/** Reads a module_info_t at `offset`, or undefined if the bytes cannot be one. */
export function parseModuleInfo(bytes: Uint8Array, offset = 0): ParticleModule | undefined {
  if (bytes.length < offset + MODULE_INFO_SIZE) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, MODULE_INFO_SIZE)
  const startAddress = view.getUint32(0, true)
  const endAddress = view.getUint32(4, true)
  const fn = view.getUint8(14)
  const dependencies = [16, 20].map((at) => ({
    fn: view.getUint8(at),
    index: view.getUint8(at + 1),
    version: view.getUint16(at + 2, true),
  }))
  // The checks Particle's own tools make: a real range inside the STM32's flash, a known function, empty dependencies all zero.
  if (endAddress <= startAddress || startAddress < 0x08000000 || endAddress > 0x08100000) return undefined
  if (fn === 0 || fn >= FUNCTIONS.length) return undefined
  if (dependencies.some((d) => d.fn >= FUNCTIONS.length || (d.fn === 0 && (d.index !== 0 || d.version !== 0))))
    return undefined
  const platformId = view.getUint16(12, true)
  return {
    platformId,
    platform: PLATFORMS[platformId] ?? `platform ${platformId}`,
    function: FUNCTIONS[fn],
    index: view.getUint8(15),
    version: view.getUint16(10, true),
    startAddress,
    endAddress,
    offset,
  }
}

/**
 * Classifies a sector from its bytes (push reads all 128 KiB unless they
 * start with a flashdata header): erased flash reads 0xFF throughout, a
 * flashdata image starts with its magic, a Particle module has a valid module
 * header at 0 or 0x184; anything else is `unknown`.
 */
export function classifySector(bytes: Uint8Array): SectorContents {
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === MAGIC)
    return { kind: 'flashdata' }
  if (bytes.every((b) => b === 0xff)) return { kind: 'blank' }
  for (const offset of MODULE_INFO_OFFSETS) {
    const module = parseModuleInfo(bytes, offset)
    if (module) return { kind: 'particle-module', module }
  }
  return { kind: 'unknown' }
}

/** "a Particle electron user part (module version 6, index 1)" */
export function describeSector(contents: SectorContents): string {
  switch (contents.kind) {
    case 'blank':
      return 'nothing (erased)'
    case 'flashdata':
      return 'a flashdata image'
    case 'unknown':
      return 'data that is neither a flashdata image nor a Particle firmware module'
    case 'particle-module': {
      const m = contents.module
      return `a Particle firmware module: ${m.platform} ${m.function} (module version ${m.version}, index ${m.index}, built for ${hex32(m.startAddress)})`
    }
  }
}
