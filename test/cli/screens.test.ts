import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { finalScreen, ptyPrefix, screenLines } from '../helpers/pty.js'
import { tempDir } from '../helpers/tmp.js'

const words = (text: string) => new Set(text.split(/\s+/).filter((w) => w !== ''))

describe('screens on a 40-column terminal (CLI, on a pty)', () => {
  it.each([[[]], [['push']], [['jig']]])(
    '--help %j wraps at spaces: no line wider than the terminal, no word broken',
    async (command) => {
      const piped = await runCli([...command, '--help'])
      const shown = await runCli([...command, '--help'], { prefix: ptyPrefix(40) })
      expect(shown.code).toBe(0)
      const lines = screenLines(shown.text)
      for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(40)
      // Every word on the terminal is a whole word of the help (or one cut with an ellipsis).
      const whole = words(piped.text)
      for (const word of words(lines.join('\n'))) if (!word.endsWith('…')) expect(whole.has(word), word).toBe(true)
      expect(lines[0]).toMatch(/^Usage: flashdata/)
    },
  )

  it('a push on the terminal: every line fits, the result is wrapped at spaces', async () => {
    const dir = await tempDir()
    const result = await runCli(['push', 'examples/data', '--emulator', join(dir, 'e.bin')], {
      prefix: ptyPrefix(40),
      env: { FLASHDATA_EMULATOR_TIMING: 'instant', CI: '' },
    })
    expect(result.code).toBe(0)
    const lines = screenLines(result.text).filter((line) => line !== '')
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(40)
    expect(lines.some((line) => line.startsWith('✔ Wrote'))).toBe(true)
    expect(lines.join(' ')).toMatch(
      /Flashed 3,566 bytes \(4 files, CRC 0x[0-9A-F]{8}\) to [0-9a-f]{24} and verified it in \d+\.\d\d s\./,
    )
  })

  it('tables (devices, inspect, verify) on a 50-column terminal: each row one line, cut with an ellipsis', async () => {
    const dir = await tempDir()
    const board = join(dir, `${'e'.repeat(24)}.bin`)
    const env = { FLASHDATA_EMULATOR: board, FLASHDATA_EMULATOR_TIMING: 'instant', CI: '' }
    await writeFile(board, '')
    const files = join(dir, 'files')
    await mkdir(files)
    await writeFile(join(files, 'long-file-name-in-the-table.txt'), 'data') // 31 bytes, the most a name may have
    expect((await runCli(['push', files], { env })).code).toBe(0)
    const devices = screenLines((await runCli(['devices'], { env, prefix: ptyPrefix(50) })).text)
    const inspect = screenLines((await runCli(['inspect', files], { env, prefix: ptyPrefix(50) })).text)
    const verify = await runCli(['verify', 'examples/data'], { env, prefix: ptyPrefix(50) })
    expect(verify.code).toBe(10) // the board holds other files: its listing is shown
    for (const [table, first, row] of [
      [devices, /^SERIAL +PLATFORM/, /^e{24} +Electron/],
      [inspect, /^ {2}NAME +SIZE +OFFSET/, /^ {2}long-file-name-in-the-table\.txt +4 +/],
      [screenLines(verify.text), /^ {2}NAME +SIZE +OFFSET/, /^ {2}long-file-name-in-the-table\.txt +4 +/],
    ] as const) {
      for (const line of table) expect([...line].length, line).toBeLessThanOrEqual(49)
      const header = table.findIndex((line) => first.test(line))
      // The row right below the header is the whole row, cut, not a wrapped half of it.
      expect(table[header + 1], table.join('\n')).toMatch(row)
      expect(table[header + 1].endsWith('…'), table[header + 1]).toBe(true)
    }
  })
})

describe('the jig on an 80-column terminal (CLI, on a pty)', () => {
  it('Ctrl-C typed on the terminal: the Stopping notice is a clean line above the live area', async () => {
    const station = join(await tempDir(), 'station')
    await mkdir(station)
    await writeFile(join(station, 'aaaaaaaaaaaaaaaaaaaaaaa1.bin'), '')
    const run = await runCli(['jig', 'examples/data', '--emulator', station], {
      prefix: ptyPrefix(80, 24, { ctrlCAfter: 'erasing' }),
      env: { FLASHDATA_EMULATOR_TIMING: 'datasheet', CI: '' },
    })
    expect(run.code).toBe(0)
    const screen = finalScreen(run.text)
    expect(screen, screen.join('\n')).toContain('Stopping: finishing the boards in progress (Ctrl-C again to abort).')
    expect(screen.some((line) => line.includes('^C'))).toBe(false)
  })
})
