import { FlashdataError } from '../errors.js'
import { contentTypeFor } from './content-type.js'
import { imageCrc } from './crc.js'
import { clashMessage, nameClashes, nameProblem, printable } from './names.js'
import { bytes, formatBytes, formatDate, plural } from '../text.js'
import {
  ENTRY_SIZE,
  FORMAT_VERSION,
  HEADER_SIZE,
  HeaderOffset,
  MAGIC,
  MAX_CONTENT_TYPE_BYTES,
  MAX_NAME_BYTES,
  SECTOR_SIZE,
  tableEnd,
  writeEntry,
  writeHeader,
} from './format.js'

export interface ImageFileInput {
  /** Stored name: a relative path with '/' separators, at most 31 UTF-8 bytes. */
  name: string
  data: Uint8Array
  /** Modification time, whole seconds since the Unix epoch. */
  mtime: number
  /** Defaults to the type the original packer would give (mime-types by extension). */
  contentType?: string
  /**
   * Store one NUL byte right after the data, not counted in the entry's
   * length: readers see the same file, and C code (mbedTLS's PEM parsers)
   * can use it in place as a terminated string.
   */
  nulTerminate?: boolean
}

export interface BuildImageOptions {
  /** Header build time, whole seconds since the Unix epoch. */
  epoch: number
  /** Alignment of each file's data offset; 1 is the original's packed layout. */
  align?: number
  /** Largest image accepted; the Electron's sector by default. */
  maxSize?: number
}

const utf8 = new TextEncoder()

interface PreparedFile {
  name: string
  nameBytes: Uint8Array
  contentTypeBytes: Uint8Array
  data: Uint8Array
  mtime: number
  nulTerminate: boolean
}

function prepare(file: ImageFileInput): PreparedFile {
  const nameBytes = utf8.encode(file.name)
  const problem = nameProblem(file.name)
  if (problem) {
    throw new FlashdataError('NAME_INVALID', `File name "${printable(file.name)}" ${problem}.`, {
      details: { name: file.name },
    })
  }
  if (nameBytes.length > MAX_NAME_BYTES) {
    throw new FlashdataError(
      'NAME_TOO_LONG',
      `File name "${file.name}" is ${bytes(nameBytes.length)} in UTF-8; the format allows at most ${MAX_NAME_BYTES}.`,
      {
        details: { name: file.name, bytes: nameBytes.length, max: MAX_NAME_BYTES },
      },
    )
  }
  const contentType = file.contentType ?? contentTypeFor(file.name)
  const contentTypeBytes = utf8.encode(contentType)
  if (contentTypeBytes.length > MAX_CONTENT_TYPE_BYTES || contentType.includes('\0')) {
    throw new FlashdataError(
      'CONTENT_TYPE_TOO_LONG',
      `Content type "${contentType}" of "${file.name}" is ${bytes(contentTypeBytes.length)}; the format allows at most ${MAX_CONTENT_TYPE_BYTES}.`,
      {
        details: { name: file.name, contentType, bytes: contentTypeBytes.length, max: MAX_CONTENT_TYPE_BYTES },
      },
    )
  }
  if (!Number.isInteger(file.mtime)) {
    throw new FlashdataError('BAD_OPTION', `Modification time of "${file.name}" (${file.mtime}) is not whole seconds.`)
  }
  if (file.mtime < 0 || file.mtime > MAX_TIME) throw dateOutOfRange(file.name, file.mtime)
  return {
    name: file.name,
    nameBytes,
    contentTypeBytes,
    data: file.data,
    mtime: file.mtime,
    nulTerminate: file.nulTerminate === true,
  }
}

/** The latest time the format's unsigned 32-bit seconds hold: 2106-02-07 06:28:15 UTC. */
const MAX_TIME = 0xffffffff

/** A file dated outside 1970..2106 (a clock gone wrong, a copied archive): bad input, with the way out. */
function dateOutOfRange(name: string, mtime: number): FlashdataError {
  const late = mtime > MAX_TIME
  return new FlashdataError(
    'INPUT_DATE_OUT_OF_RANGE',
    `"${printable(name)}" is dated ${formatDate(mtime)}, ${late ? `after ${formatDate(MAX_TIME)}, the last` : 'before 1970, earlier than any'} time an image can store.`,
    {
      details: { name, mtime, min: 0, max: MAX_TIME },
    },
  )
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

function alignUp(offset: number, align: number): number {
  return Math.ceil(offset / align) * align
}

/** Byte offsets of every file's data and the resulting image size. */
export function layoutImage(sizes: number[], align = 1): { addrs: number[]; totalSize: number } {
  let offset = tableEnd(sizes.length)
  const addrs = sizes.map((size) => {
    const addr = alignUp(offset, align)
    offset = addr + size
    return addr
  })
  return { addrs, totalSize: offset }
}

/** A file that cannot fit in the sector, refused from its size alone, before it is read (the CLI and the page). */
export function tooLarge(path: string, size: number, role: 'file' | 'image' | 'dfu', what: string): FlashdataError {
  return new FlashdataError(
    'IMAGE_TOO_LARGE',
    `"${printable(path)}" is ${bytes(size)}, larger than the ${formatBytes(SECTOR_SIZE)}-byte sector: it cannot be ${what}.`,
    { details: { path, size, maxSize: SECTOR_SIZE, role } },
  )
}

/**
 * Refuses an image over the sector, with what to do: with the largest
 * files, or, when the file table alone does not fit (many small files),
 * with how many files can.
 */
function checkFits(files: PreparedFile[], totalSize: number, maxSize: number): void {
  if (totalSize <= maxSize) return
  const over = totalSize - maxSize
  const message = `The image would be ${bytes(totalSize)}, ${bytes(over)} over the ${formatBytes(maxSize)}-byte sector.`
  const table = tableEnd(files.length)
  if (table > maxSize) {
    const fit = Math.floor((maxSize - HEADER_SIZE) / ENTRY_SIZE)
    throw new FlashdataError(
      'IMAGE_TOO_LARGE',
      `${message} Its table of ${plural(files.length, 'file')} alone takes ${bytes(table)} (${ENTRY_SIZE} bytes a file).`,
      {
        details: { totalSize, maxSize, over, files: files.length, tableBytes: table, maxFiles: fit },
      },
    )
  }
  const largest = [...files].sort((a, b) => b.data.length - a.data.length).slice(0, 5)
  throw new FlashdataError('IMAGE_TOO_LARGE', message, {
    details: { totalSize, maxSize, over, largest: largest.map((f) => ({ name: f.name, size: f.data.length })) },
  })
}

/**
 * Packs files into a version-1 image. Entries are sorted by name in byte
 * order, so the same files and epoch always give the same bytes; with
 * align 1 the layout is the original packer's, byte for byte.
 */
export function buildImage(files: ImageFileInput[], options: BuildImageOptions): Uint8Array {
  const align = options.align ?? 1
  if (!Number.isInteger(align) || align < 1 || align > 4096) {
    throw new FlashdataError('BAD_OPTION', `Alignment ${align} is not a whole number from 1 to 4096.`)
  }
  if (files.length === 0) {
    throw new FlashdataError('INPUT_EMPTY', 'There are no files to put in the image.')
  }
  // Files first: a build time taken from the newest file is out of range only when that file is.
  const prepared = files.map(prepare).sort((a, b) => compareBytes(a.nameBytes, b.nameBytes))
  if (!Number.isInteger(options.epoch) || options.epoch < 0 || options.epoch > MAX_TIME) {
    throw new FlashdataError(
      'BAD_OPTION',
      `Build time ${options.epoch} is not whole seconds since 1970 that fit in 32 bits.`,
    )
  }
  for (let i = 1; i < prepared.length; i++) {
    if (compareBytes(prepared[i - 1].nameBytes, prepared[i].nameBytes) === 0) {
      throw new FlashdataError('DUPLICATE_NAME', `Two files would be stored as "${prepared[i].name}".`, {
        details: { name: prepared[i].name },
      })
    }
  }
  const folderClash = nameClashes(prepared.map((f) => f.name)).find((c) => c.kind === 'file-and-folder')
  if (folderClash) {
    throw new FlashdataError('NAME_INVALID', clashMessage(folderClash), {
      details: { names: folderClash.names },
    })
  }
  // A terminator occupies the byte after the data; the zero-filled image already holds it.
  const { addrs, totalSize } = layoutImage(
    prepared.map((f) => f.data.length + (f.nulTerminate ? 1 : 0)),
    align,
  )
  checkFits(prepared, totalSize, options.maxSize ?? SECTOR_SIZE)

  const image = new Uint8Array(totalSize)
  writeHeader(image, {
    magic: MAGIC,
    version: FORMAT_VERSION,
    numFiles: prepared.length,
    totalSize,
    crc: 0,
    modDate: options.epoch,
  })
  prepared.forEach((file, i) => {
    writeEntry(image, i, {
      name: file.nameBytes,
      contentType: file.contentTypeBytes,
      modDate: file.mtime,
      length: file.data.length,
      addr: addrs[i],
    })
    image.set(file.data, addrs[i])
  })
  new DataView(image.buffer).setUint32(HeaderOffset.crc, imageCrc(image, totalSize), true)
  return image
}
