import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }

describe('options that do what they say (CLI)', () => {
  it('skips version-control folders with a notice in every command that packs, and packs them with --no-ignore-vcs', async () => {
    const dir = await tempDir()
    const data = join(dir, 'data')
    await writeTree(data, {
      'hello.txt': 'hi',
      '.git/hooks/pre-commit': '#!/bin/sh\n',
      '.hg/store': 'x',
      '.env': 'kept',
    })
    const built = await runCli(['build', data, '-o', join(dir, 'img.bin')])
    expect(built.code).toBe(0)
    expect(built.stderr).toContain(`skipped ${join(data, '.git')} (version control)`)
    expect(built.stderr).toContain(`skipped ${join(data, '.hg')} (version control)`)
    const names = async (args: string[]) =>
      (JSON.parse((await runCli(['inspect', data, '--json', ...args])).text).files as { name: string }[]).map(
        (f) => f.name,
      )
    expect(await names([])).toEqual(['.env', 'hello.txt']) // other hidden files are data
    expect(await names(['--no-ignore-vcs'])).toEqual(['.env', '.git/hooks/pre-commit', '.hg/store', 'hello.txt'])
    const pushed = await runCli(['push', data, '--emulator', join(dir, 'e.bin')], { env })
    expect(pushed.code).toBe(0)
    expect(pushed.stderr).toContain('(version control)')
  })

  it('verify -q prints a mismatch (quiet means errors only, and a mismatch is one) and nothing on a match', async () => {
    const dir = await tempDir()
    const emulator = join(dir, 'e.bin')
    expect((await runCli(['push', 'examples/data', '--emulator', emulator], { env })).code).toBe(0)
    const match = await runCli(['verify', 'examples/data', '-q', '--emulator', emulator], { env })
    expect([match.code, match.text, match.stderr]).toEqual([0, '', ''])
    const other = join(dir, 'other')
    await writeTree(other, { 'hello.txt': 'something else' })
    const differs = await runCli(['verify', other, '-q', '--emulator', emulator], { env })
    expect(differs.code).toBe(ExitCode.VERIFY_MISMATCH)
    expect(differs.text).toBe('')
    expect(differs.stderr).toMatch(/^Differs: [0-9a-f]{24} holds another image/)
  })

  it('keeps list for devices and has no ls: one name never means two commands', async () => {
    const dir = await tempDir()
    const listed = await runCli(['list', '--json', '--emulator', dir], { env })
    expect(ndjson(listed.text).at(-1)).toMatchObject({ type: 'result', boards: [] })
    const help = (await runCli(['devices', '--help'])).text
    expect(help).toContain('list only this board')
    expect(help).toContain('without it, look once')
    const ls = await runCli(['ls', 'examples/data'])
    expect(ls.code).toBe(ExitCode.USAGE)
    expect(ls.stderr).toContain("unknown command 'ls'")
  })
})
