/**
 * Edge suite, sizes and padding: image files of random sizes around the
 * 131,072-byte sector, bytes after totalSize (0xFF padding or not), totalSize
 * values that disagree with the file, and --address values, pushed onto a
 * board that already holds a valid image. Fixed seed, bounded run.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, FlashdataError, parseImage, push, SECTOR_SIZE, type EmulatedElectron } from 'flashdata'
import { runCli } from '../helpers/cli.js'
import { bench, DATA_SECTOR_ADDRESS } from '../helpers/emulator.js'
import { pseudoRandomBytes } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'
import { documentedExitCodes, EDGE_SEED, Random } from './harness.js'

const CASES = 60
const CASE_TIMEOUT_MS = 20_000
const FLASH_BASE = 0x08000000
const FLASH_SIZE = 0x100000

const ADDRESSES = [
  undefined,
  0x080a0000,
  0x08020000,
  0x08000000,
  0x080c0000,
  0x080e0000,
  0x080a0001,
  0x080bffff,
  0xfffe0000,
  0x08100000,
]

function imageOfSize(totalSize: number, seed: number): Uint8Array {
  return buildImage([{ name: 'blob.bin', data: pseudoRandomBytes(totalSize - 48 - 80, seed), mtime: 1 }], { epoch: 1 })
}

function setTotalSize(bytes: Uint8Array, totalSize: number): Uint8Array {
  const copy = bytes.slice()
  new DataView(copy.buffer).setUint32(12, totalSize, true)
  return copy
}

interface Case {
  name: string
  file: Uint8Array
  address?: number
}

function makeCase(random: Random, index: number): Case {
  const pick = <T>(items: readonly T[]) => random.pick(items)
  const image = imageOfSize(SECTOR_SIZE - random.int(0, 400), index + 1)
  const extra = pick([0, 1, 2, 3, 4, 64, 1000, SECTOR_SIZE - image.length, SECTOR_SIZE - image.length + 1])
  const kind = pick(['ff-padding', 'other-bytes', 'truncated', 'total-size-off', 'as-built'] as const)
  let file: Uint8Array
  if (kind === 'as-built') file = image
  else if (kind === 'truncated') file = image.subarray(0, image.length - 1 - random.int(0, 100))
  else if (kind === 'total-size-off')
    file = setTotalSize(image, image.length + pick([-4, -1, 1, 4, SECTOR_SIZE - image.length + 1]))
  else {
    file = new Uint8Array(image.length + extra)
    file.set(image)
    file.fill(0xff, image.length)
    if (kind === 'other-bytes' && extra > 0) file[image.length + random.int(0, extra - 1)] = random.int(0, 254)
  }
  const address = random.chance(0.7) ? undefined : pick(ADDRESSES)
  return {
    name: `#${index} ${kind} +${extra}: ${file.length} bytes${address === undefined ? '' : ` at 0x${address.toString(16)}`}`,
    file,
    address,
  }
}

/** What a correct push does with the file: write these bytes, or (undefined) refuse it. */
function expectedOutcome(c: Case): Uint8Array | undefined {
  if (c.file.length > SECTOR_SIZE) return undefined
  if (c.address !== undefined && c.address !== DATA_SECTOR_ADDRESS) return undefined
  const listing = parseImage(c.file)
  return listing.valid ? c.file.subarray(0, listing.header!.totalSize) : undefined
}

function outsideSector(board: EmulatedElectron): Uint8Array {
  const all = board.readFlash(FLASH_BASE, FLASH_SIZE)
  const start = DATA_SECTOR_ADDRESS - FLASH_BASE
  const out = new Uint8Array(FLASH_SIZE - SECTOR_SIZE)
  out.set(all.subarray(0, start))
  out.set(all.subarray(start + SECTOR_SIZE), start)
  return out
}

function withinTime<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung`)), CASE_TIMEOUT_MS)
  })
  return Promise.race([work, expiry]).finally(() => clearTimeout(timer))
}

describe('edge: sizes and padding', () => {
  it(`${CASES} random image files and addresses: refused before any flash operation, or written exactly`, async () => {
    const random = new Random(EDGE_SEED ^ 0x5122)
    const codes = documentedExitCodes()
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    let current = imageOfSize(5000, 99)
    await push({ bus, image: current, leave: false })
    const outside = outsideSector(board)
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(random, i)
      const expected = expectedOutcome(c)
      const opsBefore = board.flashLog.length
      const outcome = await withinTime(
        push({ bus, image: c.file, address: c.address, leave: false, force: true }).then(
          () => undefined,
          (e: unknown) => e,
        ),
        c.name,
      )
      if (expected) {
        expect(outcome, c.name).toBeUndefined()
        current = expected
      } else {
        expect(outcome, c.name).toBeInstanceOf(FlashdataError)
        expect(
          codes.has((outcome as FlashdataError).exitCode),
          `${c.name}: exit code ${(outcome as FlashdataError).exitCode} is documented`,
        ).toBe(true)
        expect(board.flashLog.length, `${c.name}: refused before any flash operation`).toBe(opsBefore)
      }
      // The board holds the last accepted image, whole; nothing else in its flash changed (compared as buffers: fast).
      expect(Buffer.compare(board.readFlash(DATA_SECTOR_ADDRESS, current.length), current), c.name).toBe(0)
      expect(Buffer.compare(outsideSector(board), outside), c.name).toBe(0)
    }
  }, 240_000)

  it('the CLI refuses a file one byte or 4 KiB over the sector, and a totalSize past the file, with documented exit codes; the board keeps its image', async () => {
    const dir = await tempDir()
    const flash = join(dir, 'e.bin')
    const env = { FLASHDATA_EMULATOR_TIMING: 'instant', FLASHDATA_EMULATOR: flash }
    expect((await runCli(['push', 'examples/data'], { env })).code).toBe(0)
    const before = await readFile(flash)
    const codes = documentedExitCodes()
    const base = imageOfSize(SECTOR_SIZE, 7)
    const files = [
      Uint8Array.from([...base, 0xff]),
      Uint8Array.from([...base, ...new Uint8Array(4096).fill(0xff)]),
      setTotalSize(imageOfSize(3000, 8), 3001),
    ]
    for (const [i, bytes] of files.entries()) {
      const path = join(dir, `f${i}.img`)
      await writeFile(path, bytes)
      const result = await runCli(['push', path, '--force', '--json'], { env })
      expect(result.code, path).not.toBe(0)
      expect(codes.has(result.code!)).toBe(true)
      expect(JSON.parse(result.text.trim().split('\n').at(-1)!)).toMatchObject({ type: 'error', exitCode: result.code })
      expect(Buffer.compare(await readFile(flash), before)).toBe(0)
    }
  }, 120_000)
})
