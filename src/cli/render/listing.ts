import type { ImageListing } from '../../image/parse.js'
import { hex32 } from '../../text.js'
import { bytes, formatBytes, formatDate, percent, table } from '../format.js'

/** The listing as data for --json: the same facts the text shows. */
export function listingJson(listing: ImageListing, source: string): Record<string, unknown> {
  return {
    source,
    valid: listing.valid,
    blank: listing.blank,
    header: listing.header,
    computedCrc: listing.computedCrc,
    usedBytes: listing.usedBytes,
    freeBytes: listing.freeBytes,
    sectorBytes: listing.sectorBytes,
    files: listing.files,
    problems: listing.problems,
  }
}

/** The listing for people; `width` (a terminal's) cuts the file table's lines to it. */
export function renderListing(listing: ImageListing, source: string, width?: number): string {
  const lines: string[] = []
  const h = listing.header
  if (listing.blank) lines.push(`${source}: blank (every byte is 0xFF), no image`)
  else if (listing.valid) lines.push(`${source}: valid flash-file image, version ${h!.version}`)
  else lines.push(`${source}: NOT a valid flash-file image`)
  if (h && h.magic === 0xe0917763) {
    lines.push(`  built  ${formatDate(h.modDate)}`)
    lines.push(`  files  ${h.numFiles}`)
    lines.push(
      `  size   ${bytes(h.totalSize)}, ${percent(Math.min(h.totalSize, listing.sectorBytes), listing.sectorBytes)} of the ${formatBytes(listing.sectorBytes)}-byte sector (${formatBytes(listing.freeBytes)} free)`,
    )
    const crcOk =
      listing.computedCrc === undefined
        ? 'not checked'
        : listing.computedCrc === h.crc
          ? 'ok'
          : `MISMATCH, computed ${hex32(listing.computedCrc)}`
    lines.push(`  crc    ${hex32(h.crc)} (${crcOk})`)
  }
  if (listing.files.length > 0) {
    const rows = [['NAME', 'SIZE', 'OFFSET', 'TYPE', 'DATE']]
    for (const f of listing.files)
      rows.push([f.name, formatBytes(f.length), formatBytes(f.addr), f.contentType, formatDate(f.modDate)])
    lines.push('', table(rows, { right: [1, 2], indent: '  ', width }))
  }
  if (listing.problems.length > 0) {
    lines.push('', '  problems:')
    for (const p of listing.problems) lines.push(`  ${p.severity === 'error' ? 'error  ' : 'warning'} ${p.message}`)
  }
  return `${lines.join('\n')}\n`
}
