import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }

// runCli itself checks every JSON line against src/jobs/events.schema.json and
// that a --json run ends with a result or an error; these name the cases.
describe('--json: typed lines, the last a result or an error (CLI)', () => {
  it.each([
    [['push', '--json', '--bogus', 'examples/data'], "Unknown option '--bogus'."],
    [['push', '--json'], "Missing required argument 'folder|image.bin'."],
    [['build', 'examples/data', '--json'], "Required option '-o, --output <"],
    [['verify', '--json', '--wait', 'soon'], 'expected a whole number'],
  ])('a usage error is one error line: %j', async (args, message) => {
    const result = await runCli(args)
    expect(result.code).toBe(ExitCode.USAGE)
    const lines = ndjson(result.text)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ type: 'error', code: 'BAD_OPTION', exitCode: ExitCode.USAGE })
    expect(lines[0].message).toContain(message)
    expect(result.stderr).toBe('')
  })

  it('suggests the command meant, as text and as JSON', async () => {
    const result = await runCli(['pusj', '--json'])
    expect(ndjson(result.text)).toMatchObject([{ type: 'error', code: 'BAD_OPTION', hint: 'Did you mean push?' }])
  })

  it('build, inspect and extract end with a result naming the command', async () => {
    const dir = await tempDir()
    const image = join(dir, 'img.bin')
    expect(ndjson((await runCli(['build', 'examples/data', '-o', image, '--json'])).text)).toMatchObject([
      { type: 'result', command: 'build', files: 4 },
    ])
    expect(ndjson((await runCli(['inspect', image, '--json'])).text)).toMatchObject([
      { type: 'result', command: 'inspect', valid: true },
    ])
    expect(ndjson((await runCli(['extract', image, '-o', join(dir, 'out'), '--json'])).text)).toMatchObject([
      { type: 'result', command: 'extract' },
    ])
  })

  it('puts the JSON on standard error when standard output carries the image (pull -o -, build -o -), errors too', async () => {
    const dir = await tempDir()
    const emulator = join(dir, 'e.bin')
    expect((await runCli(['push', 'examples/data', '--emulator', emulator], { env })).code).toBe(0)
    const built = await runCli(['build', 'examples/data', '-o', '-', '--json'])
    const pulled = await runCli(['pull', '-o', '-', '--json', '--emulator', emulator], { env })
    expect(pulled.code).toBe(0)
    expect(Buffer.compare(pulled.stdout, built.stdout)).toBe(0) // nothing but the image on stdout
    expect(ndjson(pulled.stderr).at(-1)).toMatchObject({ type: 'result', command: 'pull', size: built.stdout.length })
    const usage = await runCli(['pull', '-o', '-', '--json', '--bogus'])
    expect([usage.code, usage.text]).toEqual([ExitCode.USAGE, ''])
    expect(ndjson(usage.stderr)).toMatchObject([{ type: 'error', code: 'BAD_OPTION' }])
  })
})
