import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const SERIAL = 'bbbbbbbbbbbbbbbbbbbbbbb1'

/** Every command that packs a folder, given the folder and a fresh emulated board in `dir`. */
async function packingCommands(dir: string, folder: string): Promise<string[][]> {
  const bench = join(dir, 'bench')
  await mkdir(bench, { recursive: true })
  await writeFile(join(bench, `${SERIAL}.bin`), '')
  const board = join(bench, `${SERIAL}.bin`)
  return [
    ['build', folder, '-o', join(dir, 'out.bin'), '--force'],
    ['inspect', folder],
    ['push', folder, '--emulator', board],
    ['verify', folder, '--emulator', board],
    ['jig', folder, '--emulator', bench, '--count', '1'],
  ]
}

describe('folders and links: one rule for every command that packs a folder (CLI)', () => {
  it('a link to a folder inside the tree is refused (exit 3) by build, inspect, push, verify and jig alike', async () => {
    const dir = await tempDir()
    const data = join(dir, 'data')
    await writeTree(data, { 'sub/a.txt': 'a' })
    await symlink('sub', join(data, 'link'))
    const board = join(dir, 'bench', `${SERIAL}.bin`)
    for (const args of await packingCommands(dir, data)) {
      const result = await runCli([...args, '--json'], { env })
      expect(result.code, args.join(' ')).toBe(ExitCode.INPUT)
      expect(ndjson(result.text).at(-1), args.join(' ')).toMatchObject({ type: 'error', code: 'INPUT_PACKED_TWICE' })
    }
    expect((await readFile(board)).length).toBe(0) // refused before the board was touched
    const text = await runCli(['build', data, '-o', join(dir, 'x.bin')])
    expect(text.stderr).toContain('The link "link" in')
    expect(text.stderr).toContain("--exclude 'sub'")
  })

  it('overlapping inputs, in either order, and the same input twice are refused by build', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'g1/a': 'a', 'g1/sub/b': 'b' })
    const [g1, sub] = [join(dir, 'g1'), join(dir, 'g1', 'sub')]
    for (const inputs of [
      [sub, g1],
      [g1, sub],
      [g1, g1],
    ]) {
      const result = await runCli(['build', ...inputs, '-o', join(dir, 'out.bin'), '--json'])
      expect(result.code, inputs.join(' ')).toBe(ExitCode.INPUT)
      expect(ndjson(result.text).at(-1)).toMatchObject({ code: 'INPUT_PACKED_TWICE' })
    }
    const chosen = await runCli(['build', g1, sub, '--exclude', 'sub', '-o', join(dir, 'out.bin'), '--json'])
    expect(ndjson(chosen.text).at(-1)).toMatchObject({ files: 2, skipped: [{ reason: 'excluded by sub' }] })
  })

  it('every skip and every unmatched --exclude is in the --json result of each command, and on stderr in text', async () => {
    const dir = await tempDir()
    const data = join(dir, 'data')
    await writeTree(data, { 'a.txt': 'a', '.DS_Store': 'x', 'b.tmp': 't' })
    const options = ['--exclude', '*.tmp', '--exclude', 'nomatch']
    for (const args of await packingCommands(dir, data)) {
      const result = await runCli([...args, ...options, '--json'], { env })
      expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0)
      const last = ndjson(result.text).at(-1)!
      expect(last.type).toBe('result')
      expect(last.skipped, args[0]).toEqual([
        { path: join(data, '.DS_Store'), reason: 'system junk file' },
        { path: join(data, 'b.tmp'), reason: 'excluded by *.tmp' },
      ])
      expect(last.warnings, args[0]).toEqual(['--exclude "nomatch" matches none of the files to pack.'])
    }
    const text = await runCli(['build', data, ...options, '-o', join(dir, 'text.bin')])
    expect(text.stderr).toContain('skipped')
    expect(text.stderr).toContain('warning: --exclude "nomatch" matches none of the files to pack.')
  })
})
