/**
 * Text that every layer shows the same way: numbers, counts, dates and hex.
 * Hex is upper-case after 0x, as the README and ST's reference manual
 * (RM0033) write addresses; only USB ids keep the lower-case form users type
 * into lsusb and dfu-util (usbId).
 */

/** A 32-bit value (an address, a CRC-32, a magic number): 0x and eight digits, 0x080A0000. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`
}

/** A 16-bit value (a descriptor field such as bcdDFU, a USB id in a sentence): 0x and four digits, 0x011A. */
export function hex16(value: number): string {
  return `0x${(value & 0xffff).toString(16).toUpperCase().padStart(4, '0')}`
}

/** A byte (a DFU status code): 0x and two digits, 0x0E. */
export function hex8(value: number): string {
  return `0x${(value & 0xff).toString(16).toUpperCase().padStart(2, '0')}`
}

/**
 * A USB device's vendor:product pair as lsusb prints it and as `dfu-util -d`
 * and `lsusb -d` take it: 2b04:d00a. Lower-case, unlike the rest of our hex,
 * because users copy it into those commands and search for it in their output.
 */
export function usbId(vendorId: number, productId: number): string {
  const four = (id: number) => (id & 0xffff).toString(16).padStart(4, '0')
  return `${four(vendorId)}:${four(productId)}`
}

/** A number with thousands separators, the same on every machine: 131,072. */
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

/** Named sizes as a list: "big.bin (140,000 bytes), a.txt (1 byte)". */
export function sizedList(items: readonly { name: string; size: number }[]): string {
  return items.map((item) => `${item.name} (${bytes(item.size)})`).join(', ')
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
