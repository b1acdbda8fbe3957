/**
 * Counts, byte counts and dates in messages, the one way for every layer
 * (the CLI's format.ts re-exports them): thousands separators, "1 byte" but
 * "2 bytes", UTC dates.
 */

/** A number with thousands separators: 131,072. */
export function formatBytes(n: number): string {
  return n.toLocaleString('en-US')
}

/** "1 file", "2 files", "1,637 files". */
export function plural(count: number, noun: string): string {
  return `${formatBytes(count)} ${noun}${count === 1 ? '' : 's'}`
}

/** "1 byte", "9,136 bytes". */
export function bytes(count: number): string {
  return plural(count, 'byte')
}

/** Seconds since 1970 as "2026-12-06 21:18:32 UTC" (bare seconds when no date can show them). */
export function formatDate(seconds: number): string {
  const date = new Date(seconds * 1000)
  if (Number.isNaN(date.getTime())) return `${seconds} s after 1970`
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
}
