/**
 * Text that every layer shows the same way. A 32-bit value (an address, a
 * CRC-32, a magic number) is 0x and eight upper-case hex digits: 0x080A0000,
 * as the README and ST's reference manual (RM0033) write addresses.
 */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).toUpperCase().padStart(8, '0')}`
}
