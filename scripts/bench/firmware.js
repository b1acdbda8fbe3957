// The firmware library's figures for the Electron: code size of the ARM
// build and the CRC's estimated cost per KiB from its inner loop.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CPU_MHZ,
  LIBRARY_SOURCES,
  armSizes,
  compileForArm,
  crcCost,
  crcInnerLoop,
  hasArmToolchain,
} from '../firmware/arm.js'

/** null when arm-none-eabi-g++ is missing (Debian: gcc-arm-none-eabi). */
export async function firmwareFigures() {
  if (!hasArmToolchain) return null
  const dir = await mkdtemp(join(tmpdir(), 'flashdata-bench-arm-'))
  try {
    const built = await compileForArm(LIBRARY_SOURCES, dir)
    if (built.code !== 0) throw new Error(`arm-none-eabi-g++ failed:\n${built.stderr}`)
    const sizes = await armSizes(built.objects)
    const loop = await crcInnerLoop(built.objects[0])
    return {
      armBytes: sizes.flash,
      ramBytes: sizes.data + sizes.bss,
      objects: sizes.files,
      crc: { ...crcCost(loop), cpuMHz: CPU_MHZ, loop },
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
