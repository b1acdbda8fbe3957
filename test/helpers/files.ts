import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** Writes a tree of files ({ 'certs/ca.pem': 'text' }) with one mtime, in seconds. */
export async function writeTree(
  root: string,
  files: Record<string, string | Uint8Array>,
  mtime = 1_600_000_000,
): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const path = join(root, ...name.split('/'))
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, content)
    await utimes(path, mtime, mtime)
  }
}

/** Deterministic pseudo-random bytes (xorshift32), for fuzzing and large files. */
export function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x100000000
  }
}

/**
 * Whether two byte arrays hold the same bytes: for whole flash files and
 * sectors, where toEqual's element-by-element walk takes seconds on a busy machine.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  )
}
