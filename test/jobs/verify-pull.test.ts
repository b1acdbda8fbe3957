import { describe, expect, it } from 'vitest'
import { buildImage, pull, push, verify, waitForBoard } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'
import { bench } from '../helpers/emulator.js'

const files = [
  { name: 'a.txt', data: pseudoRandomBytes(700, 1), mtime: 10 },
  { name: 'b.bin', data: pseudoRandomBytes(5000, 2), mtime: 20 },
]
const image = buildImage(files, { epoch: 100 })

describe('verify', () => {
  it('reports match for the same image and lists which files differ otherwise', async () => {
    const { bus } = bench({ mode: 'dfu' })
    await push({ bus, image, leave: false })
    expect((await verify({ bus, expected: image })).status).toBe('match')
    const changed = buildImage(
      [
        files[0],
        { ...files[1], data: pseudoRandomBytes(5000, 3) },
        { name: 'c.txt', data: new Uint8Array(3), mtime: 0 },
      ],
      { epoch: 100 },
    )
    const result = await verify({ bus, expected: changed })
    expect(result.status).toBe('differs')
    expect(result.differences).toEqual([
      { name: 'b.bin', reason: 'content' },
      { name: 'c.txt', reason: 'missing-on-board' },
    ])
  })

  it('checks the sector on its own when nothing is expected, and lists its files', async () => {
    const { bus } = bench({ mode: 'dfu' })
    await push({ bus, image, leave: false })
    const result = await verify({ bus })
    expect(result.status).toBe('valid')
    expect(result.listing.files.map((f) => f.name)).toEqual(['a.txt', 'b.bin'])
  })

  it('reports no-image for an erased sector', async () => {
    const { bus } = bench({ mode: 'dfu' })
    const result = await verify({ bus })
    expect(result.status).toBe('no-image')
    expect(result.listing.blank).toBe(true)
    expect((await verify({ bus, expected: image })).status).toBe('no-image')
  })

  it('leaves the board in the mode it found it in', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'firmware' })
    await push({ bus, image })
    await waitForBoard(bus, (b) => b.info.mode === 'firmware', 2000)
    await verify({ bus, expected: image, waitMs: 2000 })
    expect(await waitForBoard(bus, (b) => b.info.mode === 'firmware', 2000)).toBeDefined()
    board.unplug()
    board.plugIn({ mode: 'dfu' })
    await verify({ bus, expected: image, waitMs: 2000 })
    expect(board.mode).toBe('dfu')
  })
})

describe('pull', () => {
  it('reads back exactly the image, or the raw sector', async () => {
    const { bus } = bench({ mode: 'dfu' })
    await push({ bus, image, leave: false })
    expect((await pull({ bus })).bytes).toEqual(image)
    const raw = (await pull({ bus, raw: true })).bytes
    expect(raw.length).toBe(131072)
    expect(raw.subarray(0, image.length)).toEqual(image)
    expect(raw.subarray(image.length).every((b) => b === 0xff)).toBe(true)
  })

  it('refuses to pull from a blank sector without --raw (NO_IMAGE_ON_DEVICE, exit 13)', async () => {
    const { bus } = bench({ mode: 'dfu' })
    await expect(pull({ bus })).rejects.toMatchObject({ code: 'NO_IMAGE_ON_DEVICE', exitCode: 13 })
  })
})
