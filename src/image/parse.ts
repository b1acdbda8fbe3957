import { FlashdataError } from '../errors.js'
import { bytes as byteCount, formatBytes as n, hex32 } from '../text.js'
import { imageCrc } from './crc.js'
import { clashMessage, nameClashes, nameProblem, printable } from './names.js'
import {
  ENTRY_SIZE,
  FORMAT_VERSION,
  HEADER_SIZE,
  MAGIC,
  SECTOR_SIZE,
  readEntry,
  readHeader,
  tableEnd,
  type ImageHeader,
} from './format.js'

export type ProblemCode =
  | 'blank'
  | 'truncated-header'
  | 'bad-magic'
  | 'bad-version'
  | 'size-too-small'
  | 'size-over-sector'
  | 'file-over-sector'
  | 'truncated'
  | 'trailing-bytes'
  | 'padding'
  | 'table-overflow'
  | 'bad-crc'
  | 'name-unterminated'
  | 'name-empty'
  | 'name-not-utf8'
  | 'name-unsafe'
  | 'name-clash'
  | 'name-twins'
  | 'content-type-unterminated'
  | 'data-out-of-range'
  | 'overlap'
  | 'duplicate-name'

export interface ImageProblem {
  code: ProblemCode
  severity: 'error' | 'warning'
  message: string
  /** Entry index the problem belongs to, when it belongs to one. */
  entry?: number
}

export interface ImageEntry {
  index: number
  name: string
  contentType: string
  /** Whole seconds since the Unix epoch. */
  modDate: number
  length: number
  addr: number
}

export interface ImageListing {
  /** True when no problem of severity 'error' was found. */
  valid: boolean
  /** The bytes are all 0xFF: an erased sector. */
  blank: boolean
  header?: ImageHeader
  /** CRC computed over the image, when its bytes are all present. */
  computedCrc?: number
  files: ImageEntry[]
  problems: ImageProblem[]
  /** Bytes of the sector the image occupies (its totalSize), and what is left. */
  usedBytes: number
  freeBytes: number
  sectorBytes: number
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function cString(field: Uint8Array): { text: string; terminated: boolean; utf8: boolean } {
  const end = field.indexOf(0)
  const bytes = end < 0 ? field : field.subarray(0, end)
  try {
    return { text: utf8.decode(bytes), terminated: end >= 0, utf8: true }
  } catch {
    return {
      text: Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : '?')).join(''),
      terminated: end >= 0,
      utf8: false,
    }
  }
}

function checkEntry(
  bytes: Uint8Array,
  index: number,
  dataStart: number,
  totalSize: number,
  problems: ImageProblem[],
): ImageEntry {
  const raw = readEntry(bytes, index)
  const name = cString(raw.nameBytes)
  const contentType = cString(raw.contentTypeBytes)
  const add = (code: ProblemCode, message: string) =>
    problems.push({ code, severity: 'error', message: `Entry ${index}: ${message}`, entry: index })
  if (!name.terminated) add('name-unterminated', 'name has no NUL terminator within its 32 bytes.')
  else if (name.text === '') add('name-empty', 'name is empty.')
  if (!name.utf8) add('name-not-utf8', `name "${printable(name.text)}" is not valid UTF-8.`)
  else if (name.terminated && name.text !== '') {
    const problem = nameProblem(name.text)
    if (problem) add('name-unsafe', `name "${printable(name.text)}" ${problem}; extract could not write it safely.`)
  }
  if (!contentType.terminated)
    add('content-type-unterminated', 'content type has no NUL terminator within its 32 bytes.')
  // u32 + u32 cannot overflow a JS number, so the sum is exact.
  if (raw.addr < dataStart || raw.addr + raw.length > totalSize) {
    add(
      'data-out-of-range',
      `data [${raw.addr}, ${raw.addr + raw.length}) of "${printable(name.text)}" is outside the image's data area [${dataStart}, ${totalSize}).`,
    )
  }
  return {
    index,
    name: name.text,
    contentType: contentType.text,
    modDate: raw.modDate,
    length: raw.length,
    addr: raw.addr,
  }
}

function checkOverlapsAndNames(files: ImageEntry[], problems: ImageProblem[]): void {
  const byAddr = files.filter((f) => f.length > 0).sort((a, b) => a.addr - b.addr)
  for (let i = 1; i < byAddr.length; i++) {
    const prev = byAddr[i - 1]
    if (byAddr[i].addr < prev.addr + prev.length) {
      problems.push({
        code: 'overlap',
        severity: 'error',
        entry: byAddr[i].index,
        message: `Entries ${prev.index} ("${printable(prev.name)}") and ${byAddr[i].index} ("${printable(byAddr[i].name)}") share data bytes.`,
      })
    }
  }
  for (const clash of nameClashes(files.map((f) => f.name))) {
    const twins = clash.kind === 'unicode-twins'
    problems.push({
      code: twins ? 'name-twins' : 'name-clash',
      severity: twins ? 'warning' : 'error',
      message: clashMessage(clash),
    })
  }
  const seen = new Map<string, number>()
  for (const f of files) {
    const first = seen.get(f.name)
    if (first !== undefined)
      problems.push({
        code: 'duplicate-name',
        severity: 'error',
        entry: f.index,
        message: `Entries ${first} and ${f.index} are both named "${printable(f.name)}".`,
      })
    else seen.set(f.name, f.index)
  }
}

/**
 * Parses and checks an image (a file, or the bytes read from the sector).
 * Never throws for bad bytes: every defect becomes a problem in the listing,
 * so `inspect` can explain exactly what is wrong.
 */
export function parseImage(bytes: Uint8Array, sectorBytes = SECTOR_SIZE): ImageListing {
  const problems: ImageProblem[] = []
  const listing = (extra: Partial<ImageListing>): ImageListing => {
    const usedBytes = extra.header && extra.header.totalSize <= sectorBytes ? extra.header.totalSize : 0
    return {
      valid: !problems.some((p) => p.severity === 'error'),
      blank: false,
      files: [],
      problems,
      usedBytes,
      freeBytes: sectorBytes - usedBytes,
      sectorBytes,
      ...extra,
    }
  }
  const error = (code: ProblemCode, message: string) => problems.push({ code, severity: 'error', message })

  // Whatever it holds, a file longer than the sector cannot be written into it.
  if (bytes.length > sectorBytes) {
    error(
      'file-over-sector',
      `The file is ${byteCount(bytes.length)}, ${n(bytes.length - sectorBytes)} more than the ${n(sectorBytes)}-byte sector holds.`,
    )
  }
  if (bytes.length > 0 && bytes.every((b) => b === 0xff)) {
    error('blank', `All ${byteCount(bytes.length)} are 0xFF: an erased sector with no image.`)
    return { ...listing({}), blank: true }
  }
  if (bytes.length < HEADER_SIZE) {
    error('truncated-header', `Only ${byteCount(bytes.length)}; the header alone is ${HEADER_SIZE}.`)
    return listing({})
  }
  const header = readHeader(bytes)
  if (header.magic !== MAGIC) {
    error('bad-magic', `Magic is ${hex32(header.magic)}, expected ${hex32(MAGIC)}: not a flash-file image.`)
    return listing({ header })
  }
  if (header.version > FORMAT_VERSION)
    error('bad-version', `Version ${header.version} is newer than the supported version ${FORMAT_VERSION}.`)
  if (header.totalSize > sectorBytes)
    error('size-over-sector', `totalSize ${header.totalSize} is larger than the ${n(sectorBytes)}-byte sector.`)
  const dataStart = tableEnd(header.numFiles)
  if (header.totalSize < dataStart) {
    error(
      header.totalSize < HEADER_SIZE ? 'size-too-small' : 'table-overflow',
      `totalSize ${header.totalSize} cannot hold the header and ${n(header.numFiles)} entries (${byteCount(dataStart)}).`,
    )
  }
  if (bytes.length < header.totalSize) {
    error(
      'truncated',
      `The image says it is ${byteCount(header.totalSize)} but only ${n(bytes.length)} are present (${n(header.totalSize - bytes.length)} missing).`,
    )
  } else if (bytes.length > header.totalSize) {
    // Only totalSize bytes reach the sector. 0xFF is what erased flash reads, so padding loses nothing; anything else would be silently dropped.
    const extra = bytes.length - header.totalSize
    if (bytes.subarray(header.totalSize).every((b) => b === 0xff)) {
      problems.push({
        code: 'padding',
        severity: 'warning',
        message: `${byteCount(extra)} of 0xFF padding follow the image's end (${n(header.totalSize)}); only the image's ${byteCount(header.totalSize)} are written.`,
      })
    } else {
      error(
        'trailing-bytes',
        `${byteCount(extra)} follow the image's end (totalSize ${n(header.totalSize)}) and are not 0xFF padding: they would not be written.`,
      )
    }
  }
  let computedCrc: number | undefined
  if (bytes.length >= header.totalSize && header.totalSize >= HEADER_SIZE) {
    computedCrc = imageCrc(bytes, header.totalSize)
    if (computedCrc !== header.crc) {
      error(
        'bad-crc',
        `CRC is ${hex32(header.crc)} but the bytes give ${hex32(computedCrc)}: the image is corrupt or was not fully written.`,
      )
    }
  }
  // Read only the entries that are really present, whatever numFiles claims.
  const present = Math.min(
    header.numFiles,
    Math.floor((Math.min(bytes.length, Math.max(header.totalSize, HEADER_SIZE)) - HEADER_SIZE) / ENTRY_SIZE),
  )
  const files: ImageEntry[] = []
  for (let i = 0; i < present; i++) files.push(checkEntry(bytes, i, dataStart, header.totalSize, problems))
  checkOverlapsAndNames(files, problems)
  return listing({ header, computedCrc, files })
}

/** Parses an image (from `file`, when it is one) and throws a typed error that lists every problem if it is not valid. */
export function readImage(bytes: Uint8Array, file?: string): ImageListing {
  const listing = parseImage(bytes)
  if (listing.valid) return listing
  const errors = listing.problems.filter((p) => p.severity === 'error')
  throw new FlashdataError(
    listing.blank ? 'IMAGE_BLANK' : 'IMAGE_INVALID',
    `${file === undefined ? 'The image' : `"${printable(file)}"`} is ${listing.blank ? 'blank (erased)' : 'not a valid flash-file image'}: ${errors.map((p) => p.message).join(' ')}`,
    { details: { problems: listing.problems, ...(file === undefined ? {} : { file }) } },
  )
}

/** What goes into the sector: a valid image's own totalSize bytes, without the 0xFF padding a file may carry after them. */
export function sectorImage(
  bytes: Uint8Array,
  what?: string,
): { image: Uint8Array; listing: ImageListing; padding: number } {
  const listing = readImage(bytes, what)
  const image = bytes.subarray(0, listing.header!.totalSize)
  return { image, listing, padding: bytes.length - image.length }
}

/** The bytes of one file inside a valid image. */
export function fileData(bytes: Uint8Array, entry: ImageEntry): Uint8Array {
  return bytes.subarray(entry.addr, entry.addr + entry.length)
}
