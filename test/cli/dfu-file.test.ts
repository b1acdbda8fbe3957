import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode, fromDfuFile, toDfuFile } from 'flashdata'
import { sameBytes } from '../helpers/files.js'
import { ndjson, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const EPOCH = ['--epoch', '1700000000']
/** Sector 9 in the emulator's 1 MiB flash file. */
const SECTOR = { start: 0xa0000, end: 0xc0000 }

async function built(dir: string, name: string, ...extra: string[]): Promise<Buffer> {
  const out = await runCli(['build', 'examples/data', '-o', join(dir, name), ...EPOCH, '--json', ...extra])
  expect(out.code, out.stderr).toBe(0)
  return readFile(join(dir, name))
}

describe('.dfu files in the CLI', () => {
  it('build -o data.dfu writes the same image as data.bin, wrapped in a DfuSe file; --format dfu overrides another name', async () => {
    const dir = await tempDir()
    const bin = await built(dir, 'data.bin')
    const dfu = await built(dir, 'data.dfu')
    expect(Buffer.from(fromDfuFile(dfu))).toEqual(bin)
    expect(dfu).toEqual(Buffer.from(toDfuFile(bin)))
    expect(await built(dir, 'data.img', '--format', 'dfu')).toEqual(dfu)
    // A .dfu name holding a plain image would be read back as a DfuSe file and refused: the name must agree.
    const named = await runCli(['build', 'examples/data', '-o', join(dir, 'raw.dfu'), '--format', 'bin'])
    expect(named.code).toBe(ExitCode.USAGE)
    const json = await runCli(['build', 'examples/data', '-o', join(dir, 'j.dfu'), ...EPOCH, '--json'])
    expect(JSON.parse(json.text)).toMatchObject({ format: 'dfu', size: bin.length, fileSize: dfu.length })
    const text = await runCli(['build', 'examples/data', '-o', join(dir, 't.dfu'), ...EPOCH])
    expect(text.text).toContain(`as a DfuSe file for 0x080A0000 (${dfu.length.toLocaleString('en-US')} bytes)`)
    const stdout = await runCli(['build', 'examples/data', '-o', '-', '--format', 'dfu', ...EPOCH, '-q'])
    expect(stdout.stdout).toEqual(dfu)
    const bad = await runCli(['build', 'examples/data', '-o', join(dir, 'x.bin'), '--format', 'hex'])
    expect(bad.code).toBe(ExitCode.USAGE)
  })

  it('inspect lists a .dfu file like its image, and refuses a damaged one with exit 4, the reason and a hint', async () => {
    const dir = await tempDir()
    await built(dir, 'data.dfu')
    const listed = await runCli(['inspect', join(dir, 'data.dfu'), '--json'])
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.text)).toMatchObject({
      valid: true,
      files: expect.arrayContaining([expect.objectContaining({ name: 'hello.txt' })]),
    })
    const bytes = await readFile(join(dir, 'data.dfu'))
    bytes[600] ^= 0xff
    await writeFile(join(dir, 'damaged.dfu'), bytes)
    const damaged = await runCli(['inspect', join(dir, 'damaged.dfu')])
    expect(damaged.code).toBe(ExitCode.IMAGE_INVALID)
    expect(damaged.stderr).toMatch(
      /damaged\.dfu" is not a \.dfu file flashdata accepts: the suffix CRC is 0x[0-9A-F]{8} but the bytes give/,
    )
    expect(damaged.stderr).toContain('flashdata build <folder> -o data.dfu')
    const json = await runCli(['inspect', join(dir, 'damaged.dfu'), '--json'])
    expect(ndjson(json.text).at(-1)).toMatchObject({ code: 'DFU_FILE_INVALID', details: { problem: 'suffix-crc' } })
  })

  it('push and verify take a .dfu file; pull -o x.dfu reads the board back into the same file; only sector 9 changes', async () => {
    const dir = await tempDir()
    const dfu = await built(dir, 'data.dfu')
    const flash = join(dir, 'e.bin')
    expect((await runCli(['dfu', '--emulator', flash], { env })).code).toBe(0)
    const before = await readFile(flash)
    const push = await runCli(['push', join(dir, 'data.dfu'), '--no-leave', '--json', '--emulator', flash], { env })
    expect(push.code, push.stderr).toBe(0)
    expect(ndjson(push.text).at(-1)).toMatchObject({ status: 'flashed' })
    const after = await readFile(flash)
    expect(sameBytes(after.subarray(0, SECTOR.start), before.subarray(0, SECTOR.start))).toBe(true)
    expect(sameBytes(after.subarray(SECTOR.end), before.subarray(SECTOR.end))).toBe(true)
    expect(after.subarray(SECTOR.start, SECTOR.start + dfu.length - 309)).toEqual(Buffer.from(fromDfuFile(dfu)))
    for (const input of [join(dir, 'data.dfu'), 'examples/data']) {
      const verify = await runCli(
        ['verify', input, ...(input.endsWith('.dfu') ? [] : EPOCH), '--json', '--emulator', flash],
        { env },
      )
      expect(verify.code, verify.stderr).toBe(0)
      expect(ndjson(verify.text).at(-1)).toMatchObject({ status: 'match' })
    }
    const pulled = await runCli(['pull', '-o', join(dir, 'back.dfu'), '--emulator', flash], { env })
    expect(pulled.code, pulled.stderr).toBe(0)
    expect(await readFile(join(dir, 'back.dfu'))).toEqual(dfu)
  })

  it('a .dfu file for another address is refused before any USB traffic, and the board keeps its image', async () => {
    const dir = await tempDir()
    const bin = await built(dir, 'data.bin')
    const flash = join(dir, 'e.bin')
    expect((await runCli(['push', join(dir, 'data.bin'), '--no-leave', '--emulator', flash], { env })).code).toBe(0)
    const before = await readFile(flash)
    await writeFile(join(dir, 'user.dfu'), toDfuFile(bin, 0x08080000))
    const push = await runCli(['push', join(dir, 'user.dfu'), '--force', '--json', '--emulator', flash], { env })
    expect(push.code).toBe(ExitCode.IMAGE_INVALID)
    const events = ndjson(push.text)
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'DFU_FILE_INVALID',
      details: { problem: 'element-address' },
    })
    expect(events.some((e) => e.type === 'phase' || e.type === 'progress')).toBe(false)
    expect(sameBytes(await readFile(flash), before)).toBe(true)
    const verify = await runCli(['verify', join(dir, 'user.dfu'), '--emulator', flash], { env })
    expect(verify.code).toBe(ExitCode.IMAGE_INVALID)
    expect(verify.stderr).toContain('its element is at 0x08080000; flashdata writes only sector 9 at 0x080A0000')
  })
})
