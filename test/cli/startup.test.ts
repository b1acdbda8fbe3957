import { readFileSync, statSync, writeFileSync } from 'node:fs'
import Module from 'node:module'
import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { CliIo } from '../../src/cli/io.js'
import { COMMANDS, run } from '../../src/cli/main.js'
import { REPO, runCli } from '../helpers/cli.js'

const BUNDLE = `${REPO}dist/bundle/flashdata.cjs`
const CACHE = `${BUNDLE}.cache`
const { version } = JSON.parse(readFileSync(`${REPO}package.json`, 'utf8')) as { version: string }

// Node 22.1+ has its own compile cache and bin/ uses that instead of the file.
describe.skipIf(Boolean((Module as { enableCompileCache?: unknown }).enableCompileCache))(
  'start-up from the bundle',
  () => {
    it('the build leaves a code cache beside the bundle', () => {
      expect(statSync(BUNDLE).size).toBeGreaterThan(0)
      expect(statSync(CACHE).size).toBeGreaterThan(1024)
    })

    it('a damaged code cache is rejected, the command runs as usual, and the cache is written anew', async () => {
      const damaged = Buffer.alloc(4096, 0x5a)
      writeFileSync(CACHE, damaged)
      const out = await runCli(['--version'])
      expect(out.code).toBe(0)
      expect(out.text.split('\n')[0]).toBe(`flashdata ${version}`)
      const rewritten = readFileSync(CACHE)
      expect(rewritten.equals(damaged)).toBe(false)
      expect(rewritten.length).toBeGreaterThan(1024)
    })
  },
)

describe('only the command being run is set up', () => {
  function captureIo(): { io: CliIo; out: () => string } {
    const stdout = new PassThrough()
    let out = ''
    stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    return { io: { stdout, stderr: new PassThrough(), env: {}, exitCode: 0 }, out: () => out }
  }

  it('every command and alias in the full help runs its own command when named alone', async () => {
    const full = captureIo()
    await run(['node', 'flashdata', '--help'], full.io)
    await new Promise((resolve) => setImmediate(resolve))
    const listed = [
      ...full
        .out()
        .split('Commands:')[1]
        .matchAll(/^ {2}([a-z|]+)/gm),
    ]
      .flatMap((m) => m[1].split('|'))
      .filter((word) => word !== 'help')
    expect(Object.keys(COMMANDS).sort()).toEqual(listed.sort())
    for (const word of listed) {
      const one = captureIo()
      expect(await run(['node', 'flashdata', word, '--help'], one.io)).toBe(0)
      await new Promise((resolve) => setImmediate(resolve))
      expect(/^Usage: flashdata ([a-z|]+) /.exec(one.out())?.[1].split('|')).toContain(word)
    }
  })
})
