import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { cliHint } from '../../src/cli/hints.js'
import { ERROR_CODES, exitCodeOf, FlashdataError } from '../../src/errors.js'
import { documentedExitCodes } from '../edge/harness.js'
import { REPO, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }

describe('words: every error says what to do next (CLI)', () => {
  it("every error code has a CLI hint without facts, and every exit code in docs/output.md's table has codes", () => {
    for (const code of ERROR_CODES) expect(cliHint(new FlashdataError(code, 'x')), code).toMatch(/^[A-Z].*[.)]$/)
    for (const exit of documentedExitCodes()) {
      if (exit === 0) continue
      expect(
        ERROR_CODES.filter((code) => exitCodeOf(code) === exit),
        `exit code ${exit}`,
      ).not.toEqual([])
    }
    const schema = JSON.parse(readFileSync(join(REPO, 'src/jobs/events.schema.json'), 'utf8'))
    expect(schema.$defs.errorCode.enum).toEqual(ERROR_CODES)
  })

  it('a serial that matches nothing names the boards there, and --wait given is not told to use --wait', async () => {
    const dir = await tempDir()
    const board = join(dir, '0123456789abcdef01234567.bin')
    expect((await runCli(['push', 'examples/data', '--emulator', board], { env })).code).toBe(0)
    const other = await runCli(['verify', '--serial', 'ffffffffffffffffffffffff', '--emulator', dir], { env })
    expect(other.code).toBe(ExitCode.NO_DEVICE)
    expect(other.stderr).toContain('0123456789abcdef01234567')
    expect(other.stderr).toContain('Check the serial')
    expect(other.stderr).not.toContain('data USB cable')
    const empty = join(dir, 'none')
    await mkdir(empty)
    const waited = await runCli(['verify', '--wait', '1', '--emulator', empty], { env })
    expect(waited.code).toBe(ExitCode.NO_DEVICE)
    expect(waited.stderr).toContain('wait longer with --wait <seconds>')
    expect(waited.stderr).not.toContain('use --wait')
  })

  it('says what to do on a blank sector, with thousands separators and no repeated byte counts', async () => {
    const dir = await tempDir()
    const file = join(dir, 'e.bin')
    await writeFile(file, '') // an empty flash file is a blank board
    const blank = await runCli(['verify', '--emulator', file], { env: { ...env, FLASHDATA_EMULATOR_MODE: 'dfu' } })
    expect(blank.code).toBe(ExitCode.NO_IMAGE_ON_DEVICE)
    expect(blank.text).toContain('(the sector is blank): write one with flashdata push <folder>.')
    expect(blank.stderr).toMatch(/Read \(131,072 bytes, /)
    expect(blank.stderr).not.toMatch(/\d{4} bytes/)
    const listed = await runCli(['inspect', 'examples/data'])
    expect(listed.text).toMatch(/logo\.png +463 +1,059 +image\/png/) // offsets too
  })
})
