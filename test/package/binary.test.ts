import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ndjson, REPO } from '../helpers/cli.js'
import { checkJsonLines } from '../helpers/schema.js'
import { tempDir } from '../helpers/tmp.js'

// Built by npm run build:binary; .ci/run builds it before the tests, so CI never skips this.
const BINARY = join(REPO, `dist/flashdata-${process.platform}-${process.arch}`)
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }

interface Run {
  code: number | null
  text: string
  stderr: string
}

/**
 * Runs the executable as on a machine without Node: from a folder outside the
 * repository, with an environment that holds only a home, an empty PATH and
 * what the test adds.
 */
function runBinary(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  { until }: { until?: (text: string) => Promise<boolean> } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(BINARY, args, {
      cwd,
      env: { HOME: join(cwd, 'home'), PATH: join(cwd, 'empty-path'), FLASHDATA_EMULATOR_TIMING: 'instant', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let text = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString()
      void until?.(text).then((done) => done && child.kill('SIGINT'))
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      checkJsonLines(text, `flashdata-binary ${args.join(' ')}`)
      resolve({ code, text, stderr })
    })
  })
}

describe.skipIf(!existsSync(BINARY) && !process.env.CI)('the standalone executable', () => {
  it('runs every command, the emulator included, with no Node on PATH and outside the repository', {
    timeout: 240_000,
  }, async () => {
    const dir = await tempDir('flashdata-binary-')
    await mkdir(join(dir, 'home'))
    await mkdir(join(dir, 'empty-path'))
    await cp(join(REPO, 'examples/data'), join(dir, 'data'), { recursive: true })
    const run = (args: string[], env?: Record<string, string>) => runBinary(dir, args, env)
    const ok = async (args: string[], env?: Record<string, string>) => {
      const result = await run(args, env)
      expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0)
      return result
    }

    const versions = ndjson((await ok(['--version', '--json'])).text)[0]
    expect(versions).toMatchObject({
      type: 'result',
      command: 'version',
      flashdata: version,
      usb: expect.any(String),
      usbBackend: 'nusb',
    })
    expect((await ok(['--help'])).text).toContain('Usage: flashdata')
    await ok(['build', 'data', '-o', 'data.bin'])
    expect(ndjson((await ok(['inspect', 'data.bin', '--json'])).text).at(-1)).toMatchObject({
      type: 'result',
      valid: true,
    })
    await ok(['push', 'data', '--emulator', 'board.bin'])
    await ok(['verify', 'data', '--emulator', 'board.bin'])
    await ok(['pull', '-o', 'pulled.bin', '--emulator', 'board.bin'])
    expect(readFileSync(join(dir, 'pulled.bin')).equals(readFileSync(join(dir, 'data.bin')))).toBe(true)
    await ok(['extract', 'pulled.bin', '-o', 'out'])
    expect((await readdir(join(dir, 'out'))).sort()).toEqual((await readdir(join(dir, 'data'))).sort())
    await ok(['dfu', '--emulator', 'board.bin'])
    expect(ndjson((await ok(['devices', '--json', '--emulator', 'board.bin'])).text).at(-1)).toMatchObject({
      boards: [{ mode: 'dfu' }],
    })
    await ok(['reset', '--emulator', 'board.bin'])
    await mkdir(join(dir, 'station'))
    await writeFile(join(dir, 'station/aaaaaaaaaaaaaaaaaaaaaaa1.bin'), '')
    expect(
      ndjson((await ok(['jig', 'data', '--json', '--emulator', 'station', '--count', '1'])).text).at(-1),
    ).toMatchObject({ type: 'result', command: 'jig', flashed: 1, failed: 0 })
    expect(ndjson((await ok(['doctor', '--json'], { FLASHDATA_HOST_ROOT: dir })).text)[0]).toMatchObject({
      type: 'result',
      command: 'doctor',
    })
    expect((await ok(['udev'])).text).toBe(readFileSync(join(REPO, 'udev/50-particle.rules'), 'utf8'))
    expect((await ok(['completion', 'bash'])).text).toContain('complete -o filenames -F _flashdata flashdata')
    // The page's files come from the executable too.
    let page = ''
    await runBinary(
      dir,
      ['web', '--port', '0', '--json'],
      {},
      {
        until: async (text) => {
          const url = /"url":"([^"]+)"/.exec(text)?.[1]
          if (!url || page) return false
          page = 'loading'
          page = await (await fetch(url)).text()
          return true
        },
      },
    )
    expect(page).toContain('<html')
    // The usb addon and the files it reads at run time were written to a private cache folder named by their hash.
    const cache = await readdir(join(dir, 'home/.cache/flashdata'))
    expect(cache).toEqual([expect.stringMatching(/^runtime-[0-9a-f]{16}$/)])
    expect(existsSync(join(dir, 'home/.cache/flashdata', cache[0], 'node_modules/usb/package.json'))).toBe(true)
  })
})
