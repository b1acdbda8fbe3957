import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode, parseImage } from 'flashdata'
import { runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }
const EPOCH = '1700000000'
const SECTOR_9 = 0xa0000
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

async function certsFolder(): Promise<string> {
  const dir = await tempDir()
  await writeTree(join(dir, 'data'), {
    'certs/ca.pem': PEM,
    'certs/device.der': Uint8Array.of(0x30, 0x82, 0x01, 0x00),
    'notes.txt': 'hello\n',
  })
  return join(dir, 'data')
}

const fileBytes = (image: Uint8Array, name: string) => {
  const entry = parseImage(image).files.find((f) => f.name === name)!
  return { entry, data: image.subarray(entry.addr, entry.addr + entry.length), after: image[entry.addr + entry.length] }
}

describe('--nul-terminate', () => {
  it('stores matching files with a NUL after their data, not counted in their length', async () => {
    const data = await certsFolder()
    const out = join(data, '..', 'img.bin')
    const result = await runCli(['build', data, '-o', out, '--epoch', EPOCH, '--nul-terminate', '*.pem'])
    expect(result.code, result.stderr).toBe(0)
    const image = new Uint8Array(await readFile(out))
    expect(parseImage(image).valid).toBe(true)
    const ca = fileBytes(image, 'certs/ca.pem')
    expect(ca.entry.length).toBe(PEM.length)
    expect(Buffer.from(ca.data).toString()).toBe(PEM)
    expect(ca.after).toBe(0)
    // The next file starts one byte later than in the packed layout.
    const der = fileBytes(image, 'certs/device.der')
    expect(der.entry.addr).toBe(ca.entry.addr + ca.entry.length + 1)
  })

  it('packs files back to back without the option, as the original packer does', async () => {
    const data = await certsFolder()
    const out = join(data, '..', 'img.bin')
    expect((await runCli(['build', data, '-o', out, '--epoch', EPOCH])).code).toBe(0)
    const listing = parseImage(new Uint8Array(await readFile(out)))
    const table = 48 + 80 * 3
    expect(listing.files.map((f) => f.addr)).toEqual([table, table + PEM.length, table + PEM.length + 4])
    expect(listing.header?.totalSize).toBe(table + PEM.length + 4 + 'hello\n'.length)
  })

  it('counts the terminator of the last file in totalSize', async () => {
    const data = await certsFolder()
    const out = join(data, '..', 'img.bin')
    expect((await runCli(['build', data, '-o', out, '--epoch', EPOCH, '--nul-terminate', 'notes.txt'])).code).toBe(0)
    const image = new Uint8Array(await readFile(out))
    const notes = fileBytes(image, 'notes.txt')
    expect(notes.entry.addr + notes.entry.length + 1).toBe(image.length)
    expect(parseImage(image).header?.totalSize).toBe(image.length)
    expect(notes.after).toBe(0)
  })

  it('refuses a pattern that matches no file, before writing anything', async () => {
    const data = await certsFolder()
    const out = join(data, '..', 'img.bin')
    const result = await runCli(['build', data, '-o', out, '--nul-terminate', '*.pem', '--nul-terminate', '*.crt'])
    expect(result.code).toBe(ExitCode.USAGE)
    expect(result.stderr).toContain('--nul-terminate "*.crt" matches none of the files')
    await expect(readFile(out)).rejects.toThrow()
  })

  it('push and jig pack the folder the same way, and verify compares against that image', async () => {
    const data = await certsFolder()
    const dir = join(data, '..')
    const board = join(dir, 'board.bin')
    const built = join(dir, 'img.bin')
    expect((await runCli(['build', data, '-o', built, '--epoch', EPOCH, '--nul-terminate', '*.pem'])).code).toBe(0)
    const expected = new Uint8Array(await readFile(built))
    const pushed = await runCli(['push', data, '--emulator', board, '--epoch', EPOCH, '--nul-terminate', '*.pem'], {
      env,
    })
    expect(pushed.code, pushed.stderr).toBe(0)
    const flash = new Uint8Array(await readFile(board))
    expect(Buffer.from(flash.subarray(SECTOR_9, SECTOR_9 + expected.length)).equals(Buffer.from(expected))).toBe(true)
    expect(
      (await runCli(['verify', data, '--emulator', board, '--epoch', EPOCH, '--nul-terminate', '*.pem'], { env })).code,
    ).toBe(0)
    expect((await runCli(['verify', data, '--emulator', board, '--epoch', EPOCH], { env })).code).toBe(
      ExitCode.VERIFY_MISMATCH,
    )

    const station = join(dir, 'station')
    await mkdir(station)
    const jigBoard = join(station, 'bbbbbbbbbbbbbbbbbbbbbbb1.bin')
    await writeFile(jigBoard, '') // a factory-fresh board
    const jig = await runCli(
      ['jig', data, '--emulator', station, '--count', '1', '--epoch', EPOCH, '--nul-terminate', '*.pem'],
      { env },
    )
    expect(jig.code, jig.stderr).toBe(0)
    const jigFlash = new Uint8Array(await readFile(jigBoard))
    expect(Buffer.from(jigFlash.subarray(SECTOR_9, SECTOR_9 + expected.length)).equals(Buffer.from(expected))).toBe(
      true,
    )
  })

  it("a job file's nulTerminate also marks files that only a board's own folder holds", async () => {
    const dir = await tempDir()
    const serial = 'bbbbbbbbbbbbbbbbbbbbbbb2'
    await writeTree(join(dir, 'common'), { 'certs/ca.pem': PEM })
    await writeTree(join(dir, 'boards', serial), { 'certs/device.pem': PEM.replace('MIIB', 'MIIC') })
    await mkdir(join(dir, 'station'))
    const board = join(dir, 'station', `${serial}.bin`)
    await writeFile(board, '') // a factory-fresh board
    await writeFile(
      join(dir, 'job.json'),
      JSON.stringify({ folder: 'common', perBoard: 'boards', nulTerminate: ['*.pem'], count: 1 }),
    )
    const run = await runCli(['jig', '--job', join(dir, 'job.json'), '--emulator', join(dir, 'station')], { env })
    expect(run.code, run.stderr).toBe(0)
    const sector = new Uint8Array(await readFile(board)).subarray(SECTOR_9, SECTOR_9 + 131072)
    const image = sector.subarray(0, parseImage(sector).header!.totalSize)
    for (const name of ['certs/ca.pem', 'certs/device.pem']) {
      const file = fileBytes(image, name)
      expect(file.entry.length).toBe(PEM.length)
      expect(file.after, name).toBe(0)
    }
    // The last file's terminator is inside the image.
    expect(image.length).toBe(fileBytes(image, 'certs/device.pem').entry.addr + PEM.length + 1)

    await writeFile(join(dir, 'job.json'), JSON.stringify({ folder: 'common', nulTerminate: '*.pem' }))
    const refused = await runCli(['jig', '--job', join(dir, 'job.json'), '--emulator', join(dir, 'station')], { env })
    expect(refused.code).toBe(ExitCode.INPUT)
    expect(refused.stderr).toContain('"nulTerminate" must be a list of patterns that are not empty')
  })

  it('is refused with an image that is already built', async () => {
    const data = await certsFolder()
    const built = join(data, '..', 'img.bin')
    expect((await runCli(['build', data, '-o', built, '--epoch', EPOCH])).code).toBe(0)
    const result = await runCli(
      ['push', built, '--emulator', join(data, '..', 'board.bin'), '--nul-terminate', '*.pem'],
      { env },
    )
    expect(result.code).toBe(ExitCode.USAGE)
    expect(result.stderr).toContain('--nul-terminate applies when packing a folder')
  })
})
