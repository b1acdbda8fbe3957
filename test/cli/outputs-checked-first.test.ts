import { access, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { factoryModule, writeFlashFileAt } from '../helpers/particle-module.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }

/** A --json run's last line, and whether any phase began (anything sent to a board). */
function outcome(text: string) {
  const lines = ndjson(text)
  return { last: lines.at(-1), phases: lines.filter((l) => l.type === 'phase-start').map((l) => l.phase) }
}

/** An emulated board, running firmware, whose sector holds a Particle factory module (foreign data). */
async function foreignBoard(dir: string): Promise<{ board: string; before: Buffer }> {
  const board = join(dir, 'electron.bin')
  await writeFlashFileAt(board, 0x080a0000, factoryModule())
  return { board, before: await readFile(board) }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  )

describe('outputs are checked before the board is read (CLI)', () => {
  it('extract -o and pull --extract -o a dangling link: exit 3, nothing created, the board never read', async () => {
    const dir = await tempDir()
    const image = join(dir, 'data.bin')
    expect((await runCli(['build', 'examples/data', '-o', image])).code).toBe(0)
    const dangling = join(dir, 'dangling')
    await symlink(join(dir, 'nowhere'), dangling)
    const extracted = await runCli(['extract', image, '-o', dangling, '--json'])
    expect(extracted.code).toBe(ExitCode.INPUT)
    expect(outcome(extracted.text).last).toMatchObject({ code: 'OUTPUT_WRONG_TYPE' })
    const board = join(dir, 'board.bin')
    expect((await runCli(['push', 'examples/data', '--emulator', board], { env: instant })).code).toBe(0)
    const pulled = await runCli(['pull', '--extract', '-o', dangling, '--emulator', board, '--json'], { env: instant })
    expect(pulled.code).toBe(ExitCode.INPUT)
    expect(outcome(pulled.text)).toEqual({ last: expect.objectContaining({ code: 'OUTPUT_WRONG_TYPE' }), phases: [] })
    expect(await exists(join(dir, 'nowhere'))).toBe(false)
  })

  it('push --force --backup-dir <a regular file>: exit 3 before the board is switched or read, sector untouched', async () => {
    const dir = await tempDir()
    const { board, before } = await foreignBoard(dir)
    const file = join(dir, 'not-a-folder')
    await writeFile(file, 'x')
    for (const backupDir of [file, join(file, 'below')]) {
      const result = await runCli(['push', 'examples/data', '--force', '--backup-dir', backupDir, '--json'], {
        env: { ...instant, FLASHDATA_EMULATOR: board },
      })
      expect(result.code, result.text).toBe(ExitCode.INPUT)
      expect(outcome(result.text)).toEqual({ last: expect.objectContaining({ code: 'OUTPUT_WRONG_TYPE' }), phases: [] })
      expect((await readFile(board)).equals(before)).toBe(true)
      expect(await exists(`${board}.mode`)).toBe(false) // still running its firmware, not left in DFU mode
    }
  })

  it('jig --foreign backup-and-overwrite --backup-dir <a regular file> refuses to start (exit 3)', async () => {
    const dir = await tempDir()
    const bench = join(dir, 'bench')
    await mkdir(bench)
    const { board, before } = await foreignBoard(bench)
    const file = join(dir, 'not-a-folder')
    await writeFile(file, 'x')
    const result = await runCli(
      ['jig', 'examples/data', '--emulator', bench, '--count', '1', '--foreign', 'backup-and-overwrite'].concat([
        '--backup-dir',
        file,
        '--json',
      ]),
      { env: instant },
    )
    expect(result.code, result.text).toBe(ExitCode.INPUT)
    expect(ndjson(result.text).map((l) => l.type)).toEqual(['error'])
    expect(ndjson(result.text)[0]).toMatchObject({ code: 'OUTPUT_WRONG_TYPE' })
    expect((await readFile(board)).equals(before)).toBe(true)
  })

  it('jig --junit or --csv naming a folder refuses to start with a hint that fits (no standard output)', async () => {
    const dir = await tempDir()
    const folder = join(dir, 'reports')
    await mkdir(folder)
    for (const option of ['--junit', '--csv']) {
      const result = await runCli(['jig', 'examples/data', '--emulator', join(dir, 'none'), option, folder, '--json'])
      expect(result.code, option).toBe(ExitCode.INPUT)
      const [error] = ndjson(result.text)
      expect(error).toMatchObject({ type: 'error', code: 'OUTPUT_WRONG_TYPE' })
      expect(error.message).toContain('is a folder')
      expect(error.hint).not.toContain('standard output')
    }
    expect(await readdir(folder)).toEqual([])
  })

  it('an extract conflict inside the folder suggests another folder, not standard output', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'in'))
    await writeFile(join(dir, 'in', 'a.txt'), 'a')
    const image = join(dir, 'a.bin')
    expect((await runCli(['build', join(dir, 'in'), '-o', image])).code).toBe(0)
    await mkdir(join(dir, 'out', 'a.txt'), { recursive: true })
    const result = await runCli(['extract', image, '-o', join(dir, 'out')])
    expect(result.code).toBe(ExitCode.INPUT)
    expect(result.stderr).toContain('is a folder, not a regular file')
    expect(result.stderr).not.toContain('standard output')
    expect(result.stderr).toContain('extract into another')
  })
})
