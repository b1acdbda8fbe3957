import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, ExitCode, imageCrc } from 'flashdata'
import { tempDir } from '../helpers/tmp.js'
import { BoardFile, describeRun, EDGE_TEST_TIMEOUT_MS, Random, run, runAll, runOnBoard } from './harness.js'

const utf8 = new TextEncoder()
const ENTRY_NAME = (index: number) => 48 + 80 * index

/** An image whose entries carry exactly these names (raw bytes, as another tool might write them), with a correct CRC. */
function imageNamed(names: (string | Uint8Array)[]): Uint8Array {
  const image = buildImage(
    names.map((_, i) => ({ name: `n${i}`, data: utf8.encode(`file ${i}`), mtime: 1 })),
    { epoch: 1 },
  )
  names.forEach((name, i) => {
    image.fill(0, ENTRY_NAME(i), ENTRY_NAME(i) + 32)
    image.set(typeof name === 'string' ? utf8.encode(name) : name, ENTRY_NAME(i))
  })
  new DataView(image.buffer).setUint32(16, imageCrc(image, image.length), true)
  return image
}

/** What a terminal must never receive from a listing: control characters other than the line ends, bidi overrides. */
const UNSAFE_OUTPUT = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/

/** Every file under a folder, as relative paths with "/". */
async function tree(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    out.push(...(entry.isDirectory() ? await tree(root, rel) : [rel]))
  }
  return out.sort()
}

const IMAGE_PIECES = [
  'a',
  'b.txt',
  '../',
  '..',
  '.',
  '/',
  '\\',
  '\n',
  '\r',
  '\x1b[2J',
  '\u202e',
  '\u00e9',
  'e\u0301',
  ' ',
  'dir/',
  '\t',
  '\x7f',
  'ok',
]
const DISK_PIECES = ['a', '.txt', '\\', '\n', '\x1b[31m', '\u202e', '\u00e9', 'e\u0301', ' ', '..x', 'z']

function randomName(random: Random, pieces: readonly string[]): string {
  let name = ''
  for (let i = random.int(1, 4); i > 0; i--) name += random.pick(pieces)
  while (utf8.encode(name).length > 31) name = name.slice(0, -1)
  return name
}

describe('edge: one rule for names in build, inspect, push and extract', { timeout: EDGE_TEST_TIMEOUT_MS }, () => {
  const random = new Random(11)

  it('an image with hostile names: inspect escapes them, and inspect, push and extract agree on refusing them', async () => {
    const dir = await tempDir()
    const named = [
      ['../../evil.txt'],
      ['a', 'a/b'],
      ['\x1b[31mred\nfake.txt   99  0'],
      ['a\\b.txt'],
      ['ok.txt', 'sub/ok.txt'],
    ]
    for (let i = 0; i < 3; i++)
      named.push(Array.from({ length: random.int(1, 3) }, () => randomName(random, IMAGE_PIECES)))
    await runAll(named, async (names, i) => {
      // One board per variant: two run at once, and a snapshot must see only its own command.
      const board = await BoardFile.create(join(dir, `board-${i}.bin`), imageNamed(['kept.txt']))
      const file = join(dir, `image-${i}.bin`)
      await writeFile(file, imageNamed(names))
      const inspected = await runOnBoard(board, ['inspect', file])
      expect([0, ExitCode.IMAGE_INVALID], describeRun(inspected)).toContain(inspected.code)
      expect(inspected.stdout.toString(), describeRun(inspected)).not.toMatch(UNSAFE_OUTPUT)
      const pushed = await runOnBoard(board, ['push', file, '--no-leave'])
      expect(pushed.code, `${JSON.stringify(names)}: ${describeRun(pushed)}`).toBe(inspected.code)
      expect(pushed.stderr, describeRun(pushed)).not.toMatch(UNSAFE_OUTPUT)
      const out = join(dir, `out-${i}`, 'x')
      const extracted = await run(['extract', file, '-o', out])
      expect(extracted.code, `${JSON.stringify(names)}: ${describeRun(extracted)}`).toBe(inspected.code)
      // Nothing is ever written beside the folder; a refused image writes nothing at all.
      expect(await tree(join(dir, `out-${i}`))).toEqual(
        extracted.code === 0 ? [...names].sort().map((n) => `x/${n}`) : [],
      )
    })
    const evil = await run(['inspect', join(dir, 'image-2.bin')])
    expect(evil.stdout.toString()).toContain('\\x1b[31mred\\nfake.txt')
  })

  it('names on disk: build, inspect and push of a folder give one verdict, and what builds extracts back', async () => {
    const dir = await tempDir()
    const folders = [['a\\b.txt'], ['\u00e9.txt', 'e\u0301.txt'], ['\x1b[31m.txt']]
    for (let i = 0; i < 3; i++)
      folders.push(Array.from({ length: random.int(1, 3) }, () => randomName(random, DISK_PIECES)))
    await runAll(folders, async (names, i) => {
      const board = await BoardFile.create(join(dir, `board-${i}.bin`), imageNamed(['kept.txt']))
      const data = join(dir, `data-${i}`)
      await mkdir(data)
      for (const name of new Set(names)) await writeFile(join(data, name), name)
      const built = await runOnBoard(board, ['build', data, '-o', join(dir, `built-${i}.bin`)])
      expect([0, ExitCode.INPUT], describeRun(built)).toContain(built.code)
      expect(built.stderr, describeRun(built)).not.toMatch(UNSAFE_OUTPUT)
      const inspected = await runOnBoard(board, ['inspect', data])
      expect(inspected.code, describeRun(inspected)).toBe(built.code)
      const pushed = await runOnBoard(board, ['push', data, '--no-leave'])
      expect(pushed.code, describeRun(pushed)).toBe(built.code)
      if (built.code !== 0) return
      const out = join(dir, `out-${i}`)
      const extracted = await run(['extract', join(dir, `built-${i}.bin`), '-o', out])
      expect(extracted.code, describeRun(extracted)).toBe(0)
      expect(await tree(out)).toEqual(await tree(data))
    })
    // Named cases: a backslash is refused at build; NFC/NFD twins are packed with a warning.
    expect((await run(['build', join(dir, 'data-0'), '-o', join(dir, 'bs.bin')])).stderr).toContain('backslash')
    expect((await run(['build', join(dir, 'data-1'), '-o', join(dir, 'twins.bin')])).stderr).toContain(
      'Unicode normalisation',
    )
  })

  it('a file name that is not UTF-8 gets its own message, not "does not exist"', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'data'))
    await writeFile(
      Buffer.concat([Buffer.from(join(dir, 'data', 'caf')), Buffer.from([0xe9, 0x2e, 0x74, 0x78, 0x74])]),
      'latin-1 name',
    )
    for (const args of [
      ['build', join(dir, 'data'), '-o', join(dir, 'out.bin')],
      ['inspect', join(dir, 'data')],
    ]) {
      const result = await run(args)
      expect(result.code, describeRun(result)).toBe(ExitCode.INPUT)
      expect(result.stderr).toContain('not valid UTF-8 (bytes 63 61 66 e9 2e 74 78 74)')
    }
  })
})
