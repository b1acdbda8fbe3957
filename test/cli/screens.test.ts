import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { ptyPrefix, screenLines } from '../helpers/pty.js'
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
      /Flashed 3,566 bytes \(4 files, CRC 0x[0-9a-f]{8}\) to [0-9a-f]{24} and verified it in \d+\.\d\d s\./,
    )
  })
})
