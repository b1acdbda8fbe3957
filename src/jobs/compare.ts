/** Byte comparison helpers shared by push and verify. */

/** Offset of the first byte that differs, or -1 when `a` and `b` are equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? -1 : n
}

export function hex(address: number): string {
  return `0x${address.toString(16).padStart(8, '0')}`
}
