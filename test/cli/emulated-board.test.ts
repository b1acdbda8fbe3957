import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const A = 'aaaaaaaaaaaaaaaaaaaaaaa1'
const B = 'aaaaaaaaaaaaaaaaaaaaaaa2'

async function modeOf(emulator: string): Promise<unknown> {
  const listed = await runCli(['devices', '--json', '--emulator', emulator], { env })
  expect(listed.code).toBe(0)
  return (ndjson(listed.text).at(-1)!.boards as { mode: string }[]).map((b) => b.mode)
}

describe('the emulated board, as a user meets it (CLI)', () => {
  it('stays in DFU mode between commands until it is reset, like a board on a desk', async () => {
    const file = join(await tempDir(), 'e.bin')
    expect((await runCli(['dfu', '--emulator', file], { env })).code).toBe(0)
    expect(await modeOf(file)).toEqual(['dfu'])
    const table = await runCli(['devices', '--emulator', file], { env })
    expect(table.text).toMatch(/\bDFU\b.*2b04:d00a/)
    expect(table.text).toContain(file) // the PATH column names the flash file
    expect(table.text).not.toContain('emulated')
    expect((await runCli(['reset', '--emulator', file], { env })).code).toBe(0)
    expect(await modeOf(file)).toEqual(['firmware'])
    expect((await runCli(['push', 'examples/data', '--no-leave', '--emulator', file], { env })).code).toBe(0)
    expect(await modeOf(file)).toEqual(['dfu'])
    expect((await runCli(['verify', 'examples/data', '--emulator', file], { env })).code).toBe(0) // left as found
    expect(await modeOf(file)).toEqual(['dfu'])
    expect((await runCli(['push', 'examples/data', '--force', '--emulator', file], { env })).code).toBe(0) // leaves DFU mode
    expect(await modeOf(file)).toEqual(['firmware'])
  })

  it('a flash file in a folder that cannot be opened is one unusable board: devices names it and why, the others work', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, `${A}.bin`), '')
    await mkdir(join(dir, 'folder.bin'))
    execFileSync('mkfifo', [join(dir, 'fifo.bin')])
    await writeFile(join(dir, 'short.bin'), 'not a flash file')
    const listed = await runCli(['devices', '--json', '--emulator', dir], { env })
    expect(listed.code).toBe(0)
    const boards = ndjson(listed.text).at(-1)!.boards as { path: string; unusable?: object; deviceOs?: string }[]
    expect(boards.map((b) => [basename(b.path), b.unusable])).toEqual([
      [`${A}.bin`, undefined],
      ['fifo.bin', { code: 'INPUT_SPECIAL_FILE', message: expect.stringContaining('is not a regular file') }],
      ['folder.bin', { code: 'INPUT_SPECIAL_FILE', message: expect.stringContaining('is not a regular file') }],
      ['short.bin', { code: 'INPUT_UNREADABLE', message: expect.stringContaining('(16 bytes, expected 1,048,576') }],
    ])
    expect(boards[0].deviceOs).toBe('2.3.1')
    const table = await runCli(['devices', '--emulator', dir], { env })
    expect(table.text).toMatch(/ unusable .*short\.bin\n/)
    expect(table.text).toMatch(/^[0-9a-f]{24} cannot be used: .*short\.bin is not an emulator flash file/m)
    const push = await runCli(['push', 'examples/data', '--emulator', dir, '--serial', A], { env })
    expect(push.code).toBe(0)
    // Used on its own, the board fails with its reason at once.
    const serial = boards.find((b) => b.path.endsWith('short.bin')) as unknown as { serial: string }
    const refused = await runCli(['push', 'examples/data', '--emulator', dir, '--serial', serial.serial], { env })
    expect(refused.code).toBe(ExitCode.INPUT)
    expect(refused.stderr).toContain('short.bin is not an emulator flash file')
  })

  it('takes an empty file made with touch as a blank board, and writes it only when the board is written', async () => {
    const file = join(await tempDir(), 'touched.bin')
    await writeFile(file, '')
    const blank = await runCli(['verify', '--emulator', file], { env })
    expect(blank.code).toBe(ExitCode.NO_IMAGE_ON_DEVICE)
    expect((await stat(file)).size).toBe(0)
    expect((await runCli(['push', 'examples/data', '--emulator', file], { env })).code).toBe(0)
    expect((await stat(file)).size).toBe(0x100000)
    expect((await runCli(['verify', 'examples/data', '--emulator', file], { env })).code).toBe(0)
  })

  it('refuses a FLASHDATA_EMULATOR_MODE it does not know as a usage error', async () => {
    const file = join(await tempDir(), 'e.bin')
    const result = await runCli(['devices', '--emulator', file], {
      env: { ...env, FLASHDATA_EMULATOR_MODE: 'bootloader' },
    })
    expect(result.code).toBe(ExitCode.USAGE)
    expect(result.stderr).toContain('FLASHDATA_EMULATOR_MODE="bootloader" is not "dfu" or "firmware"')
    expect(existsSync(file)).toBe(false)
    const dfu = await runCli(['devices', '--json', '--emulator', await touched(file)], {
      env: { ...env, FLASHDATA_EMULATOR_MODE: 'dfu' },
    })
    expect(ndjson(dfu.text).at(-1)).toMatchObject({ boards: [{ mode: 'dfu' }] })
  })

  it('never creates a board for a command that only looks', async () => {
    const dir = await tempDir()
    const typo = join(dir, 'typo.bin')
    for (const args of [['devices'], ['verify'], ['pull', '-o', join(dir, 'out.bin')]]) {
      const result = await runCli([...args, '--emulator', typo], { env })
      expect(result.code).toBe(ExitCode.NO_DEVICE)
      expect(result.stderr).toContain('typo.bin: the file does not exist')
    }
    expect(existsSync(typo)).toBe(false)
    expect((await runCli(['dfu', '--emulator', typo], { env })).code).toBe(0) // a command that acts plugs a new board in
    expect(existsSync(typo)).toBe(true)
  })
})

async function touched(file: string): Promise<string> {
  await writeFile(file, '')
  return file
}

describe('devices --serial and --wait (CLI)', () => {
  it('lists only the board asked for, and fails with exit 5 when it is not there', async () => {
    const station = await tempDir()
    await writeFile(join(station, `${A}.bin`), '')
    await writeFile(join(station, `${B}.bin`), '')
    const one = await runCli(['devices', '--json', '--serial', B.toUpperCase(), '--emulator', station], { env })
    expect(one.code).toBe(0)
    expect((ndjson(one.text).at(-1)!.boards as { serial: string }[]).map((b) => b.serial)).toEqual([B])
    const none = await runCli(['devices', '--serial', 'ffffffffffffffffffffffff', '--emulator', station], { env })
    expect(none.code).toBe(ExitCode.NO_DEVICE)
    expect(none.stderr).toContain(A) // names the boards that are there
  })

  it('waits for a board to appear with --wait, and gives up with exit 5', async () => {
    const station = join(await tempDir(), 'station')
    await mkdir(station)
    expect((await runCli(['devices', '--wait', '1', '--emulator', station], { env })).code).toBe(ExitCode.NO_DEVICE)
    const waiting = runCli(['devices', '--json', '--wait', '20', '--serial', A, '--emulator', station], { env })
    setTimeout(() => void writeFile(join(station, `${A}.bin`), ''), 500)
    const result = await waiting
    expect(result.code).toBe(0)
    expect(ndjson(result.text).at(-1)).toMatchObject({ type: 'result', boards: [{ serial: A }] })
  })
})
