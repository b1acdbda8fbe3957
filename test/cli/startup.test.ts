import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { REPO, runCli } from '../helpers/cli.js'

const BUNDLE = `${REPO}dist/bundle/flashdata.cjs`
const CACHE = `${BUNDLE}.cache`
const { version } = JSON.parse(readFileSync(`${REPO}package.json`, 'utf8')) as { version: string }

// Node 22.1+ has its own compile cache and bin/ uses that instead of the file.
describe.skipIf(Boolean((await import('node:module')).default.enableCompileCache))('start-up from the bundle', () => {
  it('the build leaves a code cache beside the bundle', () => {
    expect(statSync(BUNDLE).size).toBeGreaterThan(0)
    expect(statSync(CACHE).size).toBeGreaterThan(1024)
  })

  it('a damaged code cache is rejected, the command runs as usual, and the cache is written anew', async () => {
    const damaged = Buffer.alloc(4096, 0x5a)
    writeFileSync(CACHE, damaged)
    const out = await runCli(['--version'])
    expect(out.code).toBe(0)
    expect(out.text.trim()).toBe(version)
    const rewritten = readFileSync(CACHE)
    expect(rewritten.equals(damaged)).toBe(false)
    expect(rewritten.length).toBeGreaterThan(1024)
  })
})
