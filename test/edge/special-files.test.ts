import { execFileSync } from 'node:child_process'
import { lstat, mkdir, readdir, readFile, readlink, symlink, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, ExitCode } from 'flashdata'
import { tempDir } from '../helpers/tmp.js'
import {
  BoardFile,
  describeRun,
  EDGE_TEST_TIMEOUT_MS,
  Random,
  run,
  runAll,
  runOnBoard,
  type RunResult,
} from './harness.js'

const text = (s: string) => new TextEncoder().encode(s)
const image = (files: Record<string, string>, epoch = 1) =>
  buildImage(
    Object.entries(files).map(([name, data]) => ({ name, data: text(data), mtime: 1 })),
    { epoch },
  )

/** A folder with one of every kind of path a command may be given. */
async function specials(dir: string) {
  const paths = {
    fifo: join(dir, 'fifo'),
    folder: join(dir, 'folder'),
    sparse: join(dir, 'sparse.bin'),
    oversize: join(dir, 'oversize.bin'),
    file: join(dir, 'existing.bin'),
    link: join(dir, 'link.bin'),
    dangling: join(dir, 'dangling.bin'),
    valid: join(dir, 'valid.bin'),
  }
  execFileSync('mkfifo', [paths.fifo])
  await mkdir(paths.folder)
  await writeFile(paths.sparse, '')
  await truncate(paths.sparse, 2 ** 31) // 2 GiB, sparse: refused from its size, never read
  await writeFile(paths.oversize, new Uint8Array(131_073))
  await writeFile(paths.file, 'keep me')
  await symlink(paths.file, paths.link)
  await symlink(join(dir, 'missing'), paths.dangling)
  await writeFile(paths.valid, image({ 'a.txt': 'a' }))
  return paths
}

async function kind(path: string): Promise<string> {
  const info = await lstat(path)
  return info.isFIFO()
    ? 'fifo'
    : info.isSymbolicLink()
      ? `link->${await readlink(path)}`
      : info.isDirectory()
        ? 'folder'
        : info.size > 1_000_000
          ? `file of ${info.size} bytes`
          : `file:${(await readFile(path)).toString('hex').slice(0, 64)}`
}

describe('edge: special files as inputs and outputs', { timeout: EDGE_TEST_TIMEOUT_MS }, () => {
  const random = new Random(7)

  it('reading an image or a flash file: FIFOs, folders, huge and oversize files are refused at once (exit 3), never read or waited on', async () => {
    const dir = await tempDir()
    const p = await specials(dir)
    const board = await BoardFile.create(join(dir, 'board.bin'), image({ 'kept.txt': 'kept' }))
    const inputs = [p.fifo, p.sparse, p.oversize]
    const commands = (input: string) => [
      ['inspect', input],
      ['extract', input, '-o', join(dir, `out-${random.int(0, 1e9)}`)],
      ['push', input],
      ['verify', input],
      ['jig', input, '--count', '1'],
    ]
    // The emulator's flash file is read too, and the jig's log opened: a FIFO or a huge file there must not block or be read whole.
    const emulated = [
      ['devices', '--emulator', p.fifo],
      ['push', p.valid, '--emulator', p.sparse],
      ['jig', p.valid, '--count', '1', '--log', p.fifo],
    ]
    const cases = [...inputs.flatMap(commands), ['extract', p.folder, '-o', join(dir, 'out-folder')], ...emulated]
    await runAll(
      cases.map((args) => (random.chance(0.5) ? [...args, '--json'] : args)),
      async (args) => {
        const result = await runOnBoard(board, args, { timeoutMs: 30_000 })
        expect(result.code, describeRun(result)).toBe(ExitCode.INPUT)
      },
    )
    expect(await kind(p.fifo)).toBe('fifo')
    const link = join(dir, 'valid-link.bin')
    await symlink(p.valid, link)
    const viaLink = await run(['inspect', link])
    expect(viaLink.code, describeRun(viaLink)).toBe(0)
  })

  it('a folder holding a huge sparse file is refused before the file is read', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'data'))
    await writeFile(join(dir, 'data', 'small.txt'), 'x')
    await writeFile(join(dir, 'data', 'huge.bin'), '')
    await truncate(join(dir, 'data', 'huge.bin'), 2 ** 31)
    const board = await BoardFile.create(join(dir, 'board.bin'), image({ 'kept.txt': 'kept' }))
    for (const args of [
      ['build', join(dir, 'data'), '-o', join(dir, 'out.bin')],
      ['push', join(dir, 'data')],
      ['inspect', join(dir, 'data')],
    ]) {
      const result = await runOnBoard(board, args, { timeoutMs: 30_000 })
      expect(result.code, describeRun(result)).toBe(ExitCode.INPUT)
      expect(result.stderr).toContain('2,147,483,648 bytes')
    }
  })

  it('image outputs (build -o, pull -o): one rule; special files and folders are never replaced', async () => {
    const dir = await tempDir()
    const p = await specials(dir)
    const board = await BoardFile.create(join(dir, 'board.bin'), image({ 'board.txt': 'on the board' }))
    const emptyBench = join(dir, 'no-boards')
    await mkdir(emptyBench)
    const cases: { output: string; force: boolean; code: number }[] = [
      { output: p.fifo, force: false, code: ExitCode.INPUT },
      { output: p.fifo, force: true, code: ExitCode.INPUT },
      { output: p.dangling, force: true, code: ExitCode.INPUT },
      { output: p.file, force: false, code: ExitCode.INPUT },
      { output: p.link, force: false, code: ExitCode.INPUT },
    ]
    const before = await Promise.all(Object.values(p).map(kind))
    await runAll(
      cases.flatMap((c) => ['build', 'pull'].map((command) => ({ ...c, command }))),
      async ({ output, force, code, command }) => {
        const args = command === 'build' ? ['build', 'examples/data', '-o', output] : ['pull', '-o', output]
        // pull checks its output before the board is read: no board is needed to be refused.
        const result = await runOnBoard(board, [...args, ...(force ? ['--force'] : [])], {
          env: command === 'pull' ? { FLASHDATA_EMULATOR: emptyBench } : {},
        })
        expect(result.code, describeRun(result)).toBe(code)
      },
    )
    expect(await Promise.all(Object.values(p).map(kind))).toEqual(before)
    const folder = await run(['build', 'examples/data', '-o', p.folder, '--force'])
    expect(folder.code, describeRun(folder)).toBe(ExitCode.INPUT)
    expect(await kind(p.folder)).toBe('folder')
  })

  it('--force replaces a regular file, and writes through a symbolic link to one (the link stays); -o - is standard output', async () => {
    const dir = await tempDir()
    const p = await specials(dir)
    const board = await BoardFile.create(join(dir, 'board.bin'), image({ 'board.txt': 'on the board' }))
    const pulled = await runOnBoard(board, ['pull', '-o', p.file, '--force'])
    expect(pulled.code, describeRun(pulled)).toBe(0)
    expect(await board.holds(await readFile(p.file))).toBe(true)
    const built = await run(['build', 'examples/data', '-o', p.link, '--force', '--epoch', '1'])
    expect(built.code, describeRun(built)).toBe(0)
    expect(await kind(p.link)).toBe(`link->${p.file}`)
    const stdout = await run(['build', 'examples/data', '-o', '-', '--epoch', '1'])
    expect(stdout.stdout.equals(await readFile(p.file))).toBe(true)
  })

  it('extract and pull --extract: every conflict is found before anything is written', async () => {
    const dir = await tempDir()
    const p = await specials(dir)
    const img = join(dir, 'three.bin')
    await writeFile(img, image({ 'a.txt': 'new a', 'sub/b.txt': 'new b', 'z.txt': 'new z' }))
    const board = await BoardFile.create(
      join(dir, 'board.bin'),
      image({ 'a.txt': 'new a', 'sub/b.txt': 'new b', 'z.txt': 'new z' }),
    )
    const prepared = async (name: string, setup: (out: string) => Promise<void>) => {
      const out = join(dir, name)
      await mkdir(out)
      await setup(out)
      return out
    }
    const conflicts = [
      await prepared('file-exists', (out) => writeFile(join(out, 'z.txt'), 'old z')),
      await prepared('file-where-folder', (out) => writeFile(join(out, 'sub'), 'a file named sub')),
      await prepared('fifo-target', async (out) => {
        execFileSync('mkfifo', [join(out, 'z.txt')])
      }),
      await prepared('link-target', (out) => symlink(p.file, join(out, 'a.txt')).then(() => undefined)),
      await prepared('folder-target', (out) => mkdir(join(out, 'z.txt'))),
    ]
    const listings = await Promise.all(conflicts.map((out) => readdir(out)))
    await runAll(
      conflicts.flatMap((out) => [
        ['extract', img, '-o', out],
        ['pull', '--extract', '-o', out],
      ]),
      async (args) => {
        const result = await runOnBoard(board, args)
        expect(result.code, describeRun(result)).toBe(ExitCode.INPUT)
      },
    )
    expect(await Promise.all(conflicts.map((out) => readdir(out)))).toEqual(listings)
    expect(await readFile(p.file, 'utf8')).toBe('keep me')
    // Only a regular file is replaced by --force.
    const forced = await Promise.all(conflicts.map((out) => run(['extract', img, '-o', out, '--force'])))
    expect(forced.map((r: RunResult) => r.code)).toEqual([0, 3, 3, 3, 3])
    expect(await readFile(join(conflicts[0], 'z.txt'), 'utf8')).toBe('new z')
    // -o naming a file, not a folder: refused before the board is read (no board here to read).
    const emptyBench = join(dir, 'no-boards')
    await mkdir(emptyBench)
    const onFile = await run(['pull', '--extract', '-o', p.file], { env: { FLASHDATA_EMULATOR: emptyBench } })
    expect(onFile.code, describeRun(onFile)).toBe(ExitCode.INPUT)
    expect((await run(['extract', img, '-o', p.file])).code).toBe(ExitCode.INPUT)
    expect(await readFile(p.file, 'utf8')).toBe('keep me')
  })
})
