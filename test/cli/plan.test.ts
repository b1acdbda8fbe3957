import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }

/** A board holding examples/data, and an image file of the same folder. */
async function boardWithImage(): Promise<{
  dir: string
  env: NodeJS.ProcessEnv
  flash: string
  image: string
  before: Buffer
}> {
  const dir = await tempDir()
  const flash = join(dir, 'e.bin')
  const env = { ...instant, FLASHDATA_EMULATOR: flash }
  expect((await runCli(['push', 'examples/data'], { env })).code).toBe(0)
  const image = join(dir, 'i.bin')
  expect((await runCli(['build', 'examples/data', '-o', image])).code).toBe(0)
  return { dir, env, flash, image, before: await readFile(flash) }
}

describe('every erase and write is planned and checked before the first USB request (CLI)', () => {
  it('refuses an image file one byte over the sector without touching the board; inspect reports it', async () => {
    const { env, flash, image, before } = await boardWithImage()
    await truncate(image, 131_073)
    const pushed = await runCli(['push', image, '--force'], { env })
    expect(pushed.code).toBe(ExitCode.INPUT)
    expect(pushed.stderr).toContain('131,073 bytes, larger than the 131,072-byte sector')
    expect(pushed.stderr).not.toContain('Found') // no board was even looked for
    expect(Buffer.compare(await readFile(flash), before)).toBe(0)
    const inspected = await runCli(['inspect', image])
    expect(inspected.code).toBe(ExitCode.INPUT)
    expect(inspected.stderr).toContain('larger than the 131,072-byte sector')
  })

  it('the jig refuses it too before any board is touched', async () => {
    const { dir, image } = await boardWithImage()
    await truncate(image, 131_073)
    const jig = await runCli(['jig', image, '--emulator', dir, '--count', '1', '--timeout', '1'], { env: instant })
    expect(jig.code).toBe(ExitCode.INPUT)
    expect(jig.stderr).not.toContain('attached')
  })

  it('writes only totalSize of an image followed by 0xFF padding, with a notice, and verify accepts the padded file', async () => {
    const { env, flash, image } = await boardWithImage()
    const bytes = await readFile(image)
    const padded = Buffer.concat([bytes, Buffer.alloc(1000, 0xff)])
    await writeFile(image, padded)
    const pushed = await runCli(['push', image, '--force', '--json'], { env })
    expect(pushed.code).toBe(0)
    const events = ndjson(pushed.text)
    expect(events.find((e) => e.type === 'message')?.message).toContain('1,000 bytes of 0xFF padding')
    expect(events.at(-1)).toMatchObject({ type: 'result', status: 'flashed', imageSize: bytes.length })
    expect(events.find((e) => e.type === 'phase-end' && e.phase === 'write')).toMatchObject({ bytes: bytes.length })
    const sector = (await readFile(flash)).subarray(0xa0000, 0xa0000 + padded.length)
    expect(sector).toEqual(padded) // the padding is what erased flash holds anyway
    expect((await runCli(['verify', image], { env })).code).toBe(0)
  })

  it('refuses bytes after totalSize that are not 0xFF padding, board untouched', async () => {
    const { env, flash, image, before } = await boardWithImage()
    await writeFile(image, Buffer.concat([await readFile(image), Buffer.from('extra')]))
    const pushed = await runCli(['push', image, '--force'], { env })
    expect(pushed.code).toBe(ExitCode.IMAGE_INVALID)
    expect(pushed.stderr).toContain("5 bytes follow the image's end")
    expect(Buffer.compare(await readFile(flash), before)).toBe(0)
    expect((await runCli(['inspect', image])).code).toBe(ExitCode.IMAGE_INVALID)
  })

  it('refuses --address 0x08020000 on an Electron before any traffic; the firmware sectors stay as they were', async () => {
    const { env, flash, before } = await boardWithImage()
    const pushed = await runCli(['push', 'examples/data', '--force', '--address', '0x08020000'], { env })
    expect(pushed.code).toBe(ExitCode.USAGE)
    expect(pushed.stderr).toContain('--address 0x08020000 is refused')
    expect(pushed.stderr).not.toContain('DFU mode:')
    expect(Buffer.compare(await readFile(flash), before)).toBe(0)
    for (const command of [['verify'], ['pull', '-o', '-']]) {
      expect((await runCli([...command, '--address', '0x08000000'], { env })).code).toBe(ExitCode.USAGE)
    }
  })

  it('labels the sector it really erased', async () => {
    const { env } = await boardWithImage()
    const pushed = await runCli(['push', 'examples/data', '--force', '--address', '0x080a0000'], { env })
    expect(pushed.code).toBe(0)
    expect(pushed.stderr).toContain('Erased: sector 9 at 0x080A0000 (128 KiB)')
  })
})
