import { describe, expect, it } from 'vitest'
import { buildImage, classifySector, describeSector } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'
import { factoryModule } from '../helpers/particle-module.js'

const erased = (n: number) => new Uint8Array(n).fill(0xff)

describe('classifySector', () => {
  it('tells erased flash, a flashdata image, a Particle module and unknown bytes apart', () => {
    expect(classifySector(erased(4096))).toEqual({ kind: 'blank' })
    expect(classifySector(buildImage([{ name: 'a.txt', data: new Uint8Array([1]), mtime: 1 }], { epoch: 1 }))).toEqual({
      kind: 'flashdata',
    })
    const module = classifySector(factoryModule(4096))
    expect(module).toEqual({
      kind: 'particle-module',
      module: {
        platformId: 10,
        platform: 'electron',
        function: 'user part',
        index: 1,
        version: 6,
        startAddress: 0x08080000,
        endAddress: 0x08080000 + 4092,
        offset: 0,
      },
    })
    expect(describeSector(module)).toBe(
      'a Particle firmware module: electron user part (module version 6, index 1, built for 0x08080000)',
    )
    const unknown = erased(4096)
    unknown.set(new TextEncoder().encode('calibration table v2'), 0)
    expect(classifySector(unknown)).toEqual({ kind: 'unknown' })
  })

  it("finds a module header after a Gen 2 vector table (0x184), as Particle's tools do", () => {
    const bytes = erased(4096)
    bytes.set(factoryModule(2000).subarray(0, 24), 0x184)
    bytes.set([0x00, 0x00, 0x02, 0x20], 0) // a stack pointer, as a vector table starts
    expect(classifySector(bytes)).toMatchObject({
      kind: 'particle-module',
      module: { offset: 0x184, platform: 'electron' },
    })
  })

  it('does not take random bytes for a module header', () => {
    for (let seed = 1; seed <= 200; seed++)
      expect(classifySector(pseudoRandomBytes(4096, seed)).kind, `seed ${seed}`).toBe('unknown')
  })
})
