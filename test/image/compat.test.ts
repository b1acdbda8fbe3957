import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildImage, type ImageFileInput } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const SOURCE = fileURLToPath(new URL('./original-reader.cpp', import.meta.url))
let reader = ''

beforeAll(async () => {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  reader = join(await mkdtemp(join(tmpdir(), 'flashdata-reader-')), 'reader')
  execFileSync('g++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-O1', '-o', reader, SOURCE])
})

describe('compatibility with the original firmware reader (struct layout + memcpy)', () => {
  const files: ImageFileInput[] = [
    { name: 'certs/ca.pem', data: new TextEncoder().encode('-----BEGIN CERTIFICATE-----\n'), mtime: 1_600_000_001 },
    { name: 'sound.wav', data: pseudoRandomBytes(3001, 5), mtime: 1_600_000_002 },
    { name: 'LICENSE', data: new TextEncoder().encode('MIT'), mtime: 1_600_000_003 },
    { name: 'empty.bin', data: new Uint8Array(0), mtime: 1_600_000_004 },
  ]
  const expected = [...files]
    .sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
    .map(
      (f) =>
        `${f.name} ${f.data.length} ${f.name === 'LICENSE' ? 'text/plain' : f.name.endsWith('.pem') ? 'application/x-x509-ca-cert' : f.name.endsWith('.wav') ? 'audio/wav' : 'application/octet-stream'} ${f.mtime} ${Buffer.from(f.data).toString('hex')}`,
    )

  // --nul-terminate's byte after the data is outside each length: the original reader sees the same files.
  for (const [align, nulTerminate] of [
    [1, false],
    [4, false],
    [64, false],
    [1, true],
    [4, true],
  ] as const) {
    it(`reads every file of our image byte for byte (align ${align}${nulTerminate ? ', NUL-terminated' : ''})`, async () => {
      const image = buildImage(
        files.map((f) => ({ ...f, nulTerminate })),
        { epoch: 1_700_000_000, align },
      )
      const path = join(await tempDir(), 'image.bin')
      await writeFile(path, image)
      const lines = execFileSync(reader, [path], { encoding: 'utf8' }).trimEnd().split('\n')
      expect(lines[0]).toBe(`files 4 size ${image.length}`)
      expect(lines.slice(1)).toEqual(expected)
    })
  }
})
