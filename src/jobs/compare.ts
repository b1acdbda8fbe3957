/** Byte comparison helpers shared by push and verify. */
export { firstDifference } from '../image/compare.js'

export function hex(address: number): string {
  return `0x${address.toString(16).padStart(8, '0')}`
}
