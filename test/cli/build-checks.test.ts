import { execFileSync } from 'node:child_process'
import { chmod, chown, copyFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { ptyPrefix } from '../helpers/pty.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }
/** Seconds since 1970 of 2200-01-01: after what an image's unsigned 32-bit times hold. */
const YEAR_2200 = 7_258_118_400

describe('build: inputs and outputs it refuses, and the words it uses (CLI)', () => {
  it('a file dated after 2106 is bad input (exit 3) whose hint names --epoch and SOURCE_DATE_EPOCH; --epoch packs it', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'late/a.txt': 'a' })
    await utimes(join(dir, 'late', 'a.txt'), YEAR_2200, YEAR_2200)
    const refused = await runCli(['build', join(dir, 'late'), '-o', join(dir, 'l.bin'), '--json'])
    expect(refused.code).toBe(ExitCode.INPUT)
    const error = ndjson(refused.text).at(-1)!
    expect(error).toMatchObject({ code: 'INPUT_DATE_OUT_OF_RANGE' })
    expect(error.message).toContain('2200-01-01')
    expect(error.hint).toContain('--epoch')
    expect(error.hint).toContain('SOURCE_DATE_EPOCH')
    expect(error.hint).not.toContain('--help')
    expect((await runCli(['build', join(dir, 'late'), '-o', join(dir, 'l.bin'), '--epoch', '1700000000'])).code).toBe(0)
  })

  it('a file dated before 1970 is bad input (exit 3) that says to set its date', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'early/b.txt': 'b' })
    // Node's utimes takes a time before 1970 as "now": touch sets it.
    execFileSync('touch', ['-d', '1960-01-01 00:00:00Z', join(dir, 'early', 'b.txt')])
    const refused = await runCli(['build', join(dir, 'early'), '-o', join(dir, 'e.bin')])
    expect(refused.code).toBe(ExitCode.INPUT)
    expect(refused.stderr).toContain('before 1970')
    expect(refused.stderr).toContain('touch')
    expect(refused.stderr).not.toContain('--help')
  })

  it('a full-sector .dfu file renamed .bin is read as the DfuSe file it is, not refused by its size', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'big/x.bin': new Uint8Array(131_072 - 128 - 1) })
    const dfu = join(dir, 'full.dfu')
    expect((await runCli(['build', join(dir, 'big'), '-o', dfu])).code).toBe(0)
    const renamed = join(dir, 'full.bin')
    await copyFile(dfu, renamed)
    expect((await readFile(renamed)).length).toBeGreaterThan(131_072)
    const listed = await runCli(['inspect', renamed])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.text).toContain('valid flash-file image')
    expect((await runCli(['extract', renamed, '-o', join(dir, 'out')])).code).toBe(0)
    // A plain file of that size is still refused unread, by its size.
    await writeFile(join(dir, 'plain.bin'), new Uint8Array(131_100))
    const plain = await runCli(['inspect', join(dir, 'plain.bin')])
    expect(plain.code).toBe(ExitCode.INPUT)
    expect(plain.stderr).toContain('131,100 bytes, larger than the 131,072-byte sector')
  })

  it('an image one byte over says "1 byte", byte counts have separators, and a table overflow says how many files fit', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'over/x.bin': new Uint8Array(131_072 - 128 + 1) })
    const one = await runCli(['build', join(dir, 'over'), '-o', join(dir, 'o.bin')])
    expect(one.code).toBe(ExitCode.INPUT)
    expect(one.stderr).toContain('131,073 bytes, 1 byte over the 131,072-byte sector')
    expect(one.stderr).toContain('free at least 1 byte ')
    expect(one.stderr).toContain('x.bin (130,945 bytes)')
    // Two files (each under the sector): 48 + 2 × 80 + 2 × 70,000 bytes.
    await writeTree(dir, { 'more/x.bin': new Uint8Array(70_000), 'more/y.bin': new Uint8Array(70_000) })
    const more = await runCli(['build', join(dir, 'more'), '-o', join(dir, 'o.bin')])
    expect(more.stderr).toContain('free at least 9,136 bytes')
    const many: Record<string, string> = {}
    for (let i = 0; i < 1700; i++) many[`many/f${i}`] = ''
    await writeTree(dir, many)
    const table = await runCli(['build', join(dir, 'many'), '-o', join(dir, 'o.bin')])
    expect(table.code).toBe(ExitCode.INPUT)
    expect(table.stderr).toContain('Its table of 1,700 files alone takes 136,048 bytes')
    expect(table.stderr).toContain('at most 1,637 fit')
    expect(table.stderr).not.toContain('Largest')
  })

  it('build -o - on a terminal is a usage error (exit 2) that names the fix; into a pipe it writes the image', async () => {
    const dir = await tempDir()
    const shown = await runCli(['build', 'examples/data', '-o', '-'], { prefix: ptyPrefix(300) })
    expect(shown.code).toBe(ExitCode.USAGE)
    expect(shown.text).toContain('standard output, which is a terminal')
    expect(shown.text).toContain('-o image.bin')
    expect(shown.text).not.toContain('\u0000')
    const pulled = await runCli(['pull', '-o', '-', '--emulator', join(dir, 'e.bin')], {
      prefix: ptyPrefix(300),
      env: instant,
    })
    expect(pulled.code).toBe(ExitCode.USAGE)
    const piped = await runCli(['build', 'examples/data', '-o', '-'])
    expect(piped.code).toBe(0)
    expect(piped.stdout.readUInt32LE(0)).toBe(0xe0917763)
  })

  it('build -o y.dfu --format bin is refused (exit 2): a .dfu name must hold a DfuSe file', async () => {
    const dir = await tempDir()
    const refused = await runCli(['build', 'examples/data', '-o', join(dir, 'y.dfu'), '--format', 'bin'])
    expect(refused.code).toBe(ExitCode.USAGE)
    expect(refused.stderr).toContain('names a .dfu file')
    expect(refused.stderr).toContain('y.bin')
    // The other way round is readable: a DfuSe file is recognised by its prefix whatever its name.
    expect((await runCli(['build', 'examples/data', '-o', join(dir, 'y.bin'), '--format', 'dfu'])).code).toBe(0)
    expect((await runCli(['inspect', join(dir, 'y.bin')])).code).toBe(0)
  })

  it('devices on a read-only emulator flash file says why the Device OS column is empty', async () => {
    const dir = await tempDir()
    const bench = join(dir, 'bench')
    await mkdir(bench)
    const flash = join(bench, 'e.bin')
    await writeFile(flash, '')
    expect((await runCli(['devices', '--emulator', flash], { env: instant })).code).toBe(0) // a board running firmware
    await chmod(flash, 0o444)
    // Root ignores file modes: run the CLI as nobody then.
    const asRoot = process.getuid?.() === 0
    if (asRoot) for (const folder of [dir, bench]) await chown(folder, 65534, 65534)
    const prefix = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
    const text = await runCli(['devices', '--emulator', flash], { env: instant, prefix })
    expect(text.code).toBe(0)
    expect(text.text).toMatch(/firmware +\? +2b04:c00a/)
    expect(text.text).toContain('Device OS not read: The emulator flash file')
    expect(text.text).toContain('read-only')
    const json = await runCli(['devices', '--emulator', flash, '--json'], { env: instant, prefix })
    expect(ndjson(json.text).at(-1)).toMatchObject({ boards: [{ notAsked: { code: 'EMULATOR_READ_ONLY' } }] })
  })
})

describe('counts in messages (CLI)', () => {
  it('a pool of one row, given out, says "1 row"', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'common/ca.pem': 'CA', 'pool/1.crt': 'certificate 1' })
    await writeFile(join(dir, 'pool.csv'), 'device.crt\npool/1.crt\n')
    const push = (board: string) =>
      runCli(['push', join(dir, 'common'), '--pool', join(dir, 'pool.csv'), '--emulator', join(dir, board)], {
        env: instant,
      })
    expect((await push('aaaaaaaaaaaaaaaaaaaaaa01.bin')).code).toBe(0)
    const second = await push('aaaaaaaaaaaaaaaaaaaaaa02.bin')
    expect(second.code).toBe(ExitCode.POOL_EXHAUSTED)
    expect(second.stderr).toContain('(1 row, all given out')
  })
})
