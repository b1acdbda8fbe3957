/**
 * DfuSe memory layouts: the alt-setting name that describes a flash, such as
 * `@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg`.
 *
 * Grammar: `@<name>` up to the first `/`, then one or more groups
 * `/0x<hex>/<count>*<size><mult><type>[,...]`. The multiplier is B, K, M or a
 * space (bytes, ST's own form `01*016 e`); the type is one letter a-g whose
 * value minus 0x60 holds read (1), erase (2) and write (4) bits.
 *
 * The parser is strict where dfu-util is lenient: a lowercase multiplier, a
 * type of more than one letter, a missing `@` or trailing junk is an error
 * naming the position, never a silently dropped or resized segment.
 */
import { FlashdataError } from '../errors.js'
import { bytes, hex32 } from '../text.js'

export interface MemorySegment {
  start: number
  /** Exclusive. */
  end: number
  pageSize: number
  readable: boolean
  erasable: boolean
  writable: boolean
}

export interface MemoryLayout {
  name: string
  segments: MemorySegment[]
}

export interface MemoryPage {
  start: number
  /** Exclusive. */
  end: number
  segment: MemorySegment
}

/** Writes and erases below this address are refused by the Particle Gen 2 bootloader. */
export const ELECTRON_PROTECTED_END = 0x08020000

const MULTIPLIERS: Record<string, number> = { B: 1, K: 1024, M: 1024 * 1024, ' ': 1 }
const TYPES = 'abcdefg'
const LIMIT = 2 ** 32

/** [start, end) for people: first and last byte and the length, so an exclusive end is never read as inclusive. */
export function describeRange(start: number, end: number): string {
  const length = end - start
  return length <= 1 ? hex32(start) : `${hex32(start)}-${hex32(end - 1)} (${bytes(length)})`
}

export function parseMemoryLayout(text: string): MemoryLayout {
  function fail(pos: number, message: string): never {
    throw new FlashdataError(
      'DFU_LAYOUT',
      `Invalid DfuSe memory layout ${JSON.stringify(text)}: ${message} (at character ${pos + 1})`,
      {
        details: { layout: text, position: pos },
      },
    )
  }
  function found(pos: number): string {
    return pos < text.length ? `found ${JSON.stringify(text.slice(pos, pos + 8))}` : 'found the end'
  }
  function match(re: RegExp, pos: number): string | undefined {
    re.lastIndex = pos
    return re.exec(text)?.[0]
  }

  if (!text.startsWith('@')) fail(0, `it must start with "@" and the memory name, ${found(0)}`)
  const slash = text.indexOf('/')
  if (slash < 0) fail(text.length, 'no "/0x<address>/" group follows the name')
  const name = text.slice(1, slash).trim()
  if (name === '') fail(1, 'the memory name is empty')

  const segments: MemorySegment[] = []
  let pos = slash
  while (pos < text.length) {
    if (text[pos] !== '/') fail(pos, `expected "," or "/" after a segment, ${found(pos)}`)
    pos++
    const address = match(/0[xX][0-9a-fA-F]{1,8}(?![0-9a-zA-Z])/y, pos)
    if (address === undefined) fail(pos, `expected a group address such as 0x08000000, ${found(pos)}`)
    let start = Number.parseInt(address.slice(2), 16)
    pos += address.length
    if (text[pos] !== '/') fail(pos, `expected "/" after the group address, ${found(pos)}`)
    do {
      pos++
      const segmentStart = pos
      const count = match(/\d+/y, pos)
      if (count === undefined) fail(pos, `expected a page count (decimal digits), ${found(pos)}`)
      pos += count.length
      if (text[pos] !== '*') fail(pos, `expected "*" after the page count, ${found(pos)}`)
      pos++
      const size = match(/\d+/y, pos)
      if (size === undefined) fail(pos, `expected a page size (decimal digits), ${found(pos)}`)
      pos += size.length
      const mult = text[pos]
      if (mult === undefined) fail(pos, 'expected a size multiplier (B, K, M or a space), found the end')
      if (!(mult in MULTIPLIERS)) {
        // "b" is also a type letter: it is a lowercase multiplier only when a type follows.
        const typeFollows = TYPES.includes(text[pos + 1] ?? '')
        if (mult.toUpperCase() in MULTIPLIERS && (typeFollows || !TYPES.includes(mult))) {
          fail(pos, `the multiplier must be uppercase B, K or M, found "${mult}"`)
        }
        if (TYPES.includes(mult)) fail(pos, `the size multiplier (B, K, M or a space) is missing before type "${mult}"`)
        fail(pos, `expected a size multiplier (B, K, M or a space), ${found(pos)}`)
      }
      pos++
      const type = text[pos]
      if (type === undefined || !TYPES.includes(type)) fail(pos, `expected a type letter a-g, ${found(pos)}`)
      pos++
      if (pos < text.length && text[pos] !== ',' && text[pos] !== '/') {
        const letters = /[a-zA-Z]/.test(text[pos])
        fail(
          pos,
          letters
            ? `the type must be a single letter a-g, found ${JSON.stringify(text.slice(pos - 1, pos + 7))}`
            : `unexpected ${found(pos)} after a segment`,
        )
      }
      const pages = Number(count)
      const pageSize = Number(size) * MULTIPLIERS[mult]
      if (pages === 0 || pageSize === 0) fail(segmentStart, 'page count and page size must be greater than zero')
      const end = start + pages * pageSize
      if (end > LIMIT)
        fail(
          segmentStart,
          `the segment from ${hex32(start)} (${bytes(pages * pageSize)}) ends beyond the 32-bit address space`,
        )
      const bits = type.charCodeAt(0) - 0x60
      segments.push({
        start,
        end,
        pageSize,
        readable: (bits & 1) !== 0,
        erasable: (bits & 2) !== 0,
        writable: (bits & 4) !== 0,
      })
      start = end
    } while (text[pos] === ',')
  }

  const sorted = [...segments].sort((a, b) => a.start - b.start)
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start < sorted[i - 1].end) {
      fail(text.length, `segments at ${hex32(sorted[i - 1].start)} and ${hex32(sorted[i].start)} overlap`)
    }
  }
  return { name, segments }
}

/** The page holding `address`, or undefined if no segment maps it. */
export function findPage(layout: MemoryLayout, address: number): MemoryPage | undefined {
  const segment = layout.segments.find((s) => address >= s.start && address < s.end)
  if (segment === undefined) return undefined
  const start = segment.start + Math.floor((address - segment.start) / segment.pageSize) * segment.pageSize
  return { start, end: start + segment.pageSize, segment }
}

/** The page's index counted from the layout's first page: on STM32 internal flash, the sector number (0x080A0000 is 9). */
export function pageNumber(layout: MemoryLayout, page: MemoryPage): number {
  let before = 0
  for (const segment of layout.segments) {
    if (segment.end <= page.start) before += (segment.end - segment.start) / segment.pageSize
    else if (segment.start <= page.start) before += (page.start - segment.start) / segment.pageSize
  }
  return before
}

/** The pages covering [start, end); ADDRESS_REFUSED if a byte of it is not in the layout. */
export function pagesInRange(layout: MemoryLayout, start: number, end: number): MemoryPage[] {
  const pages: MemoryPage[] = []
  for (let address = start; address < end; ) {
    const page = findPage(layout, address)
    if (page === undefined) {
      throw new FlashdataError(
        'ADDRESS_REFUSED',
        `Address ${hex32(address)} is not in the memory layout "${layout.name}"`,
        {
          details: { address, layout: layout.name },
        },
      )
    }
    pages.push(page)
    address = page.end
  }
  return pages
}

/**
 * The layout with erase and write cleared below `limit` (rounded up to a page
 * boundary), splitting a segment that straddles it.
 */
export function protectBelow(layout: MemoryLayout, limit: number): MemoryLayout {
  const segments = layout.segments.flatMap((segment): MemorySegment[] => {
    const locked = { ...segment, erasable: false, writable: false }
    if (segment.end <= limit) return [locked]
    if (segment.start >= limit) return [segment]
    const split = segment.start + Math.ceil((limit - segment.start) / segment.pageSize) * segment.pageSize
    if (split >= segment.end) return [locked]
    return [
      { ...locked, end: split },
      { ...segment, start: split },
    ]
  })
  return { name: layout.name, segments }
}

/**
 * The Electron's (and every Particle Gen 2 bootloader's) internal flash: the
 * string marks sectors 3 and 4 writable, but the device refuses any erase or
 * write below 0x08020000.
 */
export function withElectronProtection(layout: MemoryLayout): MemoryLayout {
  return protectBelow(layout, ELECTRON_PROTECTED_END)
}
