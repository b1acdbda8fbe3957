/** Particle USB identities, and which boards flashdata can write. */

export const PARTICLE_VENDOR_ID = 0x2b04

export interface ParticlePlatform {
  name: string
  label: string
  /** Product id while running firmware (CDC) and in the DFU bootloader. */
  firmwareProductId: number
  dfuProductId: number
  /** Why flashdata will not write this board's data sector, if it will not. */
  refusal?: string
}

const OTA_REFUSAL =
  'its factory backup sector is overwritten by over-the-air system firmware updates, so data stored there would be lost. Only the Electron and E-Series keep it.'
const GEN3_REFUSAL = 'it is a Gen 3 (nRF52) board without the STM32F205 factory backup sector that flashdata writes.'

export const PLATFORMS: readonly ParticlePlatform[] = [
  { name: 'electron', label: 'Electron / E-Series', firmwareProductId: 0xc00a, dfuProductId: 0xd00a },
  { name: 'photon', label: 'Photon', firmwareProductId: 0xc006, dfuProductId: 0xd006, refusal: OTA_REFUSAL },
  { name: 'p1', label: 'P1', firmwareProductId: 0xc008, dfuProductId: 0xd008, refusal: OTA_REFUSAL },
  { name: 'argon', label: 'Argon', firmwareProductId: 0xc00c, dfuProductId: 0xd00c, refusal: GEN3_REFUSAL },
  { name: 'boron', label: 'Boron', firmwareProductId: 0xc00d, dfuProductId: 0xd00d, refusal: GEN3_REFUSAL },
  { name: 'xenon', label: 'Xenon', firmwareProductId: 0xc00e, dfuProductId: 0xd00e, refusal: GEN3_REFUSAL },
  { name: 'bsom', label: 'B SoM', firmwareProductId: 0xc017, dfuProductId: 0xd017, refusal: GEN3_REFUSAL },
]

export type BoardMode = 'dfu' | 'firmware'

export function identify(
  vendorId: number,
  productId: number,
): { platform: ParticlePlatform; mode: BoardMode } | undefined {
  if (vendorId !== PARTICLE_VENDOR_ID) return undefined
  for (const platform of PLATFORMS) {
    if (platform.dfuProductId === productId) return { platform, mode: 'dfu' }
    if (platform.firmwareProductId === productId) return { platform, mode: 'firmware' }
  }
  return undefined
}

/** How a person puts a board into DFU mode with its buttons (every host tells it in its hints). */
export const DFU_MODE_HOWTO =
  'To enter DFU mode by hand: hold MODE, tap RESET, and release MODE when the LED blinks yellow.'
