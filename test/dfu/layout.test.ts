import { describe, expect, it } from 'vitest'
import {
  findPage,
  isFlashdataError,
  pagesInRange,
  parseMemoryLayout,
  protectBelow,
  withElectronProtection,
  type MemoryLayout,
} from '../../src/index.js'

const ELECTRON_ALT0 = '@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg'
const ELECTRON_ALT1 = '@DCT Flash   /0x00000000/01*016Kg'
const P1_SERIAL = '@Serial Flash   /0x00000000/256*004Kg'
const K = 1024

const rwe = { readable: true, erasable: true, writable: true }
const ro = { readable: true, erasable: false, writable: false }

function layoutError(text: string): string {
  try {
    parseMemoryLayout(text)
  } catch (error) {
    if (isFlashdataError(error, 'DFU_LAYOUT')) return error.message
    throw error
  }
  throw new Error(`parsed without error: ${text}`)
}

describe('parseMemoryLayout', () => {
  it('parses the Electron internal flash (alt 0)', () => {
    const layout = parseMemoryLayout(ELECTRON_ALT0)
    expect(layout).toEqual({
      name: 'Internal Flash',
      segments: [
        { start: 0x08000000, end: 0x0800c000, pageSize: 16 * K, ...ro },
        { start: 0x0800c000, end: 0x08010000, pageSize: 16 * K, ...rwe },
        { start: 0x08010000, end: 0x08020000, pageSize: 64 * K, ...rwe },
        { start: 0x08020000, end: 0x08100000, pageSize: 128 * K, ...rwe },
      ],
    })
  })

  it('parses the Electron DCT (alt 1), starting at address 0', () => {
    expect(parseMemoryLayout(ELECTRON_ALT1)).toEqual({
      name: 'DCT Flash',
      segments: [{ start: 0, end: 16 * K, pageSize: 16 * K, ...rwe }],
    })
  })

  it('parses the P1 serial flash: a three-digit page count', () => {
    const layout = parseMemoryLayout(P1_SERIAL)
    expect(layout.name).toBe('Serial Flash')
    expect(layout.segments).toEqual([{ start: 0, end: 1024 * K, pageSize: 4 * K, ...rwe }])
  })

  it('parses several /address/ groups, B and M multipliers and every type letter', () => {
    const layout = parseMemoryLayout(
      '@Mixed /0x1FFF0000/01*512Ba,01*001Kb/0x08000000/02*001Mc,1*16Kd,1*16Ke,1*16Kf,1*16Kg',
    )
    expect(layout.segments.map((s) => [s.start, s.end, s.pageSize])).toEqual([
      [0x1fff0000, 0x1fff0200, 512],
      [0x1fff0200, 0x1fff0600, 1024],
      [0x08000000, 0x08200000, 1024 * K],
      [0x08200000, 0x08204000, 16 * K],
      [0x08204000, 0x08208000, 16 * K],
      [0x08208000, 0x0820c000, 16 * K],
      [0x0820c000, 0x08210000, 16 * K],
    ])
    const flags = layout.segments.map(
      (s) => `${s.readable ? 'r' : '-'}${s.erasable ? 'e' : '-'}${s.writable ? 'w' : '-'}`,
    )
    expect(flags).toEqual(['r--', '-e-', 're-', '--w', 'r-w', '-ew', 'rew'])
  })

  it("accepts ST's space multiplier (bytes), as in option-byte layouts", () => {
    const layout = parseMemoryLayout('@Option Bytes  /0x1FFFC000/01*016 e')
    expect(layout.segments).toEqual([
      { start: 0x1fffc000, end: 0x1fffc010, pageSize: 16, readable: true, erasable: false, writable: true },
    ])
  })

  it('keeps spaces inside the name and trims those before the first /', () => {
    expect(parseMemoryLayout('@ My  Flash \t/0x0/1*1Kg').name).toBe('My  Flash')
  })

  describe('does better than dfu-util', () => {
    it('rejects a multi-letter type instead of dropping the segment and all after it', () => {
      expect(layoutError('@Internal Flash /0x08000000/03*016Kab,01*016Kg')).toMatch(
        /type must be a single letter a-g, found "ab,01\*01"/,
      )
    })

    it('rejects trailing junk after the last type', () => {
      expect(layoutError(`${ELECTRON_ALT0} junk`)).toMatch(
        /unexpected found " junk" after a segment \(at character 66\)/,
      )
      expect(layoutError(`${ELECTRON_ALT0}junk`)).toMatch(/single letter/)
    })

    it('rejects a lowercase multiplier instead of reading it as bytes', () => {
      expect(layoutError('@Internal Flash /0x08000000/03*016ka')).toMatch(
        /multiplier must be uppercase B, K or M, found "k" \(at character 35\)/,
      )
      expect(layoutError('@Internal Flash /0x08000000/01*001mg')).toMatch(/uppercase/)
      expect(layoutError('@Internal Flash /0x08000000/01*512bg')).toMatch(/uppercase/)
    })

    it('explains a missing @ instead of failing the whole parse silently', () => {
      expect(layoutError('Internal Flash /0x08000000/03*016Ka')).toMatch(/must start with "@" .*\(at character 1\)/)
    })
  })

  describe('errors name what is wrong and where', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['no group', '@Internal Flash', /no "\/0x<address>\/" group/],
      ['empty name', '@  /0x08000000/01*016Kg', /memory name is empty/],
      ['empty string', '', /must start with "@"/],
      ['address without 0x', '@Flash /08000000/01*016Kg', /expected a group address .*character 9/],
      ['address too long', '@Flash /0x080000000/01*016Kg', /expected a group address/],
      ['no / after the address', '@Flash /0x08000000,01*016Kg', /expected "\/" after the group address/],
      ['no segments', '@Flash /0x08000000/', /expected a page count .*found the end/],
      ['trailing comma', '@Flash /0x08000000/01*016Kg,', /expected a page count .*found the end/],
      ['trailing slash', '@Flash /0x08000000/01*016Kg/', /expected a group address .*found the end/],
      ['missing *', '@Flash /0x08000000/01x016Kg', /expected "\*" after the page count/],
      ['missing size', '@Flash /0x08000000/01*Kg', /expected a page size/],
      [
        'missing multiplier',
        '@Flash /0x08000000/01*016g',
        /multiplier \(B, K, M or a space\) is missing before type "g"/,
      ],
      ['bad multiplier', '@Flash /0x08000000/01*016Xg', /expected a size multiplier .*"Xg"/],
      ['missing type', '@Flash /0x08000000/01*016K', /expected a type letter a-g, found the end/],
      ['type out of range', '@Flash /0x08000000/01*016Kh', /expected a type letter a-g, found "h"/],
      ['uppercase type', '@Flash /0x08000000/01*016KG', /expected a type letter a-g, found "G"/],
      ['zero pages', '@Flash /0x08000000/00*016Kg', /greater than zero/],
      ['zero size', '@Flash /0x08000000/01*0Kg', /greater than zero/],
      ['past 4 GiB', '@Flash /0xFFFF0000/02*064Kg', /beyond the 32-bit address space/],
      [
        'overlapping groups',
        '@Flash /0x08000000/02*016Kg/0x08004000/01*016Kg',
        /segments at 0x08000000 and 0x08004000 overlap/,
      ],
      ['space inside the list', '@Flash /0x08000000/01*016Kg, 01*016Kg', /expected a page count .*found " 01\*016K"/],
    ]
    it.each(cases)('%s', (_name, text, message) => {
      const error = layoutError(text)
      expect(error).toMatch(message)
      expect(error).toContain(JSON.stringify(text))
    })

    it('carries the layout and position in the details', () => {
      try {
        parseMemoryLayout('@Flash /0x08000000/01*016Kh')
        expect.unreachable()
      } catch (error) {
        expect(isFlashdataError(error, 'DFU_LAYOUT') && error.details).toEqual({
          layout: '@Flash /0x08000000/01*016Kh',
          position: 26,
        })
      }
    })
  })
})

describe('pages', () => {
  const layout = parseMemoryLayout(ELECTRON_ALT0)

  it('finds the page holding an address', () => {
    expect(findPage(layout, 0x080a0000)).toMatchObject({ start: 0x080a0000, end: 0x080c0000 })
    expect(findPage(layout, 0x080bffff)).toMatchObject({ start: 0x080a0000, end: 0x080c0000 })
    expect(findPage(layout, 0x0800c123)).toMatchObject({ start: 0x0800c000, end: 0x08010000 })
    expect(findPage(layout, 0x08010001)).toMatchObject({ start: 0x08010000, end: 0x08020000 })
    expect(findPage(layout, 0x08100000)).toBeUndefined()
    expect(findPage(layout, 0x07ffffff)).toBeUndefined()
  })

  it('lists the pages covering a range across segments', () => {
    const pages = pagesInRange(layout, 0x0800ffff, 0x08020001)
    expect(pages.map((p) => [p.start, p.end])).toEqual([
      [0x0800c000, 0x08010000],
      [0x08010000, 0x08020000],
      [0x08020000, 0x08040000],
    ])
    expect(pagesInRange(layout, 0x080a0000, 0x080a0000)).toEqual([])
  })

  it('refuses a range leaving the layout', () => {
    expect(() => pagesInRange(layout, 0x080e0000, 0x08100001)).toThrow(
      /0x08100000 is not in the memory layout "Internal Flash"/,
    )
  })
})

describe('Electron protection overlay', () => {
  const flags = (layout: MemoryLayout) => layout.segments.map((s) => [s.start, s.end, s.erasable, s.writable])

  it('clears erase and write below 0x08020000 although the string marks sectors 3 and 4 writable', () => {
    expect(flags(withElectronProtection(parseMemoryLayout(ELECTRON_ALT0)))).toEqual([
      [0x08000000, 0x0800c000, false, false],
      [0x0800c000, 0x08010000, false, false],
      [0x08010000, 0x08020000, false, false],
      [0x08020000, 0x08100000, true, true],
    ])
  })

  it('splits a segment straddling the limit at a page boundary, locking a partly covered page', () => {
    const layout = parseMemoryLayout('@Flash /0x08000000/16*016Kg')
    expect(flags(protectBelow(layout, 0x08021000))).toEqual([
      [0x08000000, 0x08024000, false, false],
      [0x08024000, 0x08040000, true, true],
    ])
  })
})
