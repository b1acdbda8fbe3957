/** Small formatting helpers shared by the renderers. */
import { printable } from '../image/names.js'
import { fit } from './render/style.js'

export { bytes, formatBytes, formatDate, plural } from '../text.js'

export function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`
}

/**
 * Left-aligned text table; numeric columns (by index) are right-aligned.
 * Cells are escaped: names from images and serials from USB devices must not
 * break or spoof the table. With a `width` (a terminal's) each line is cut
 * to it with an ellipsis: a row wrapped by the terminal is no longer a row.
 */
export function table(
  cells: string[][],
  { right = [], indent = '', width }: { right?: number[]; indent?: string; width?: number } = {},
): string {
  const rows = cells.map((r) => r.map(printable))
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
  return rows
    .map((r) =>
      fit(
        `${indent}${r
          .map((cell, c) => (right.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
          .join('  ')}`.trimEnd(),
        width,
      ),
    )
    .join('\n')
}

export function formatSpeed(bytes: number, ms: number): string {
  if (ms <= 0) return ''
  return `${(bytes / 1024 / (ms / 1000)).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} KiB/s`
}

/**
 * Where a board sits, for screen lines: "slot A, port 1-1.2", "port 1-1.2",
 * or undefined. Escaped: slot names come from the --slots file, and an
 * emulated board's port is its flash file's path.
 */
export function boardPlace(slot: string | undefined, port: string | undefined): string | undefined {
  if (port === undefined) return undefined
  return slot ? `slot ${printable(slot)}, port ${printable(port)}` : `port ${printable(port)}`
}
