import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode, imageCrc, parseImage } from 'flashdata'
import { pseudoRandomBytes, writeTree } from '../helpers/files.js'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

describe('flashdata build / inspect / extract (CLI)', () => {
  it('builds the example folder, inspects it, and extracts it back', async () => {
    const dir = await tempDir()
    const image = join(dir, 'data.bin')
    const built = await runCli(['build', 'examples/data', '-o', image, '--epoch', '1700000000'])
    expect(built.code).toBe(0)
    expect(built.text).toMatch(/Wrote .*data\.bin: 4 files, [\d,]+ bytes .* CRC 0x[0-9A-F]{8}/)
    const inspected = await runCli(['inspect', image])
    expect(inspected.code).toBe(0)
    expect(inspected.text).toContain('valid flash-file image, version 1')
    expect(inspected.text).toMatch(/certs\/ca\.pem\s+607\s+\d+\s+application\/x-x509-ca-cert/)
    const out = join(dir, 'out')
    expect((await runCli(['extract', image, '-o', out])).code).toBe(0)
    expect(await readFile(join(out, 'sounds', 'chime.wav'))).toEqual(await readFile('examples/data/sounds/chime.wav'))
    expect((await runCli(['extract', image, '-o', out])).code).toBe(ExitCode.INPUT)
  })

  it('writes the image to standard output with -o - and the report to stderr', async () => {
    const result = await runCli(['build', 'examples/data', '-o', '-', '--epoch', '5'])
    expect(result.code).toBe(0)
    expect(parseImage(new Uint8Array(result.stdout)).valid).toBe(true)
    expect(result.stderr).toContain('Wrote the image to standard output: 4 files')
  })

  it('gives the same listing as one JSON object with --json, also for a folder', async () => {
    const result = await runCli(['inspect', 'examples/data', '--json', '--epoch', '1'])
    expect(result.code).toBe(0)
    const listing = JSON.parse(result.text)
    expect(listing.valid).toBe(true)
    expect(listing.files.map((f: { name: string }) => f.name)).toEqual([
      'certs/ca.pem',
      'hello.txt',
      'logo.png',
      'sounds/chime.wav',
    ])
  })

  it('diagnoses corrupt, truncated and blank images with exit code 4 and no stack trace', async () => {
    const dir = await tempDir()
    const good = join(dir, 'good.bin')
    await runCli(['build', 'examples/data', '-o', good, '--epoch', '1'])
    const bytes = await readFile(good)
    const cases: Record<string, Uint8Array> = {
      'blank.bin': new Uint8Array(4096).fill(0xff),
      'truncated.bin': bytes.subarray(0, 1000),
      'corrupt.bin': (() => {
        const b = Uint8Array.from(bytes)
        b[500] ^= 0xff
        return b
      })(),
    }
    const expected: Record<string, string> = {
      'blank.bin': 'blank',
      'truncated.bin': '1,000 are present',
      'corrupt.bin': 'CRC is',
    }
    for (const [name, content] of Object.entries(cases)) {
      await writeFile(join(dir, name), content)
      const result = await runCli(['inspect', join(dir, name)])
      expect(result.code, name).toBe(ExitCode.IMAGE_INVALID)
      expect(result.text, name).toContain(expected[name])
      expect(result.stderr, name).not.toMatch(/at .*\.js:\d+/)
    }
  })

  it('reports an image over 128 KiB with the overshoot and the largest files, and writes nothing', async () => {
    const dir = await tempDir()
    await writeTree(dir, {
      'src/big.bin': pseudoRandomBytes(100_000),
      'src/medium.bin': pseudoRandomBytes(40_000),
      'src/small.txt': 'x',
    })
    const result = await runCli(['build', join(dir, 'src'), '-o', join(dir, 'out.bin')])
    expect(result.code).toBe(ExitCode.INPUT)
    expect(result.stderr).toContain('9,217 bytes over')
    expect(result.stderr).toContain('big.bin (100,000 bytes)')
    expect(await readdir(dir)).toEqual(['src'])
  })

  it('leaves an existing output untouched when a build fails (atomic write)', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'out.bin'), 'previous')
    await mkdir(join(dir, 'empty'))
    const result = await runCli(['build', join(dir, 'empty'), '-o', join(dir, 'out.bin')])
    expect(result.code).toBe(ExitCode.INPUT)
    expect(await readFile(join(dir, 'out.bin'), 'utf8')).toBe('previous')
    expect(await readdir(dir)).toEqual(['empty', 'out.bin'])
  })

  it('reports an unreadable file by name with the input exit code', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'src/ok.txt': 'ok', 'src/secret.txt': 'no' })
    await chmod(join(dir, 'src', 'secret.txt'), 0o000)
    await chmod(dir, 0o755)
    // root reads everything, so run as nobody when we are root.
    const prefix = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
    const result = await runCli(['build', join(dir, 'src'), '-o', '-'], { prefix })
    expect(result.code).toBe(ExitCode.INPUT)
    expect(result.stderr).toContain('secret.txt')
  })

  it('exits 2 with usage help on a bad option', async () => {
    const result = await runCli(['build', 'examples/data', '-o', 'x.bin', '--align', 'zero'])
    expect(result.code).toBe(ExitCode.USAGE)
    expect(result.stderr).toContain('--align')
  })

  it('keeps image CRCs stable: header CRC equals the CRC over the bytes', async () => {
    const result = await runCli(['build', 'examples/data', '-o', '-', '--epoch', '1'])
    const bytes = new Uint8Array(result.stdout)
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(16, true)).toBe(imageCrc(bytes, bytes.length))
  })
})
