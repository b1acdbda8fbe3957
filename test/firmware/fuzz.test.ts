import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildImage, type ImageFileInput } from '../../src/image/index.js'
import { Harness, canRun, runner } from './harness.js'

const utf8 = (s: string) => new TextEncoder().encode(s)
const bytes = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 7) & 0xff)

// Small enough that each mutant is quick to copy and check; every kind of
// entry: NUL-terminated text, binary, nested names, an empty last file.
const SEED_FILES: ImageFileInput[] = [
  {
    name: 'certs/ca.pem',
    data: utf8('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
    mtime: 1,
    nulTerminate: true,
  },
  { name: 'certs/device.der', data: bytes(300), mtime: 2 },
  { name: 'hello.txt', data: utf8('Hello, Electron!\n'), mtime: 3 },
  { name: 'sounds/beep.raw', data: bytes(1000), mtime: 4, contentType: 'audio/L8' },
  { name: 'zz-empty', data: new Uint8Array(0), mtime: 5, nulTerminate: true },
]
const ITERATIONS = 200_000
const SEED = 20261201

describe.skipIf(!canRun(32))(`firmware reader, 32-bit mutation fuzz under ${runner(32)?.label}`, () => {
  let fuzz: Harness
  beforeAll(async () => {
    fuzz = await Harness.build(32, 'fuzz.cpp')
  }, 120_000)
  afterAll(async () => {
    await fuzz?.dispose()
  })

  it(`survives ${ITERATIONS.toLocaleString('en-US')} mutants of a valid image (fixed seed)`, async () => {
    const run = await fuzz.exec(buildImage(SEED_FILES, { epoch: 1_700_000_000, align: 4 }), [
      String(ITERATIONS),
      String(SEED),
    ])
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
    const summary = JSON.parse(run.stdout)
    expect(summary).toMatchObject({ iterations: ITERATIONS, sizeBits: 32 })
    // The mutants must reach both sides of every check, or the fuzz proves little.
    expect(summary.valid).toBeGreaterThan(ITERATIONS * 0.05)
    expect(summary.valid).toBeLessThan(ITERATIONS)
    expect(summary.crcOk).toBeGreaterThan(0)
    expect(summary.nulTerminated).toBeGreaterThan(0)
    expect(summary.streamBytes).toBeGreaterThan(0)
  }, 120_000)
})
