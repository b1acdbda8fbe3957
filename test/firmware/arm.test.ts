import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EXAMPLE_SOURCES,
  FIRMWARE,
  LIBRARY_SOURCES,
  armSizes,
  compileForArm,
  crcInnerLoop,
  hasArmToolchain,
} from '../../scripts/firmware/arm.js'
import { ORIGINAL_API_SKETCH, canRun, hasGxx, hasMbedtls, hasOpenssl } from './harness.js'

if (!hasArmToolchain)
  console.warn(
    'test/firmware: arm-none-eabi-g++ is not installed (gcc-arm-none-eabi), so the ARM build is skipped; .ci/run installs it.',
  )

/** The budget firmware/README.md promises, so the document and the check cannot drift apart. */
async function budget(): Promise<number> {
  const readme = await readFile(join(FIRMWARE, 'README.md'), 'utf8')
  const match = /ARM code size budget: ([\d,]+) bytes/.exec(readme)
  if (!match) throw new Error('firmware/README.md states no "ARM code size budget: N bytes"')
  return Number(match[1].replace(/,/g, ''))
}

describe.skipIf(!hasArmToolchain)('firmware library, built with arm-none-eabi-g++ for the Cortex-M3', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flashdata-arm-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('compiles the library, every example and a sketch for the original API without a warning', async () => {
    expect(EXAMPLE_SOURCES.length).toBeGreaterThanOrEqual(4)
    const result = await compileForArm([...LIBRARY_SOURCES, ...EXAMPLE_SOURCES, ORIGINAL_API_SKETCH], dir)
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' })
  }, 120_000)

  it('keeps the library within its code size budget', async () => {
    const { objects } = await compileForArm(LIBRARY_SOURCES, dir)
    const sizes = await armSizes(objects)
    expect(sizes.files).toHaveLength(LIBRARY_SOURCES.length)
    // No RAM: the CRC table and everything else stay in flash.
    expect(sizes.data + sizes.bss).toBe(0)
    expect(sizes.flash).toBeLessThanOrEqual(await budget())
  }, 120_000)

  it('finds the CRC loop the cost estimate is based on', async () => {
    const { objects } = await compileForArm([LIBRARY_SOURCES[0]], dir)
    const loop = await crcInnerLoop(objects[0])
    // One load of the image byte, one table load, one branch per byte.
    expect(loop.filter((m) => m.startsWith('ld'))).toHaveLength(2)
    expect(loop.filter((m) => m.startsWith('b'))).toHaveLength(1)
  }, 120_000)
})

// Elsewhere a missing tool skips its tests with a warning; CI must run them all.
describe.runIf(process.env.CI)('CI (.ci/run installs what the firmware tests need)', () => {
  it('has g++, 32-bit sanitized builds that run (natively or under qemu-i386), mbedTLS, openssl and arm-none-eabi-g++', () => {
    expect({ gxx: hasGxx, m32: canRun(32), mbedtls: hasMbedtls, openssl: hasOpenssl, arm: hasArmToolchain }).toEqual({
      gxx: true,
      m32: true,
      mbedtls: true,
      openssl: true,
      arm: true,
    })
  })
})
