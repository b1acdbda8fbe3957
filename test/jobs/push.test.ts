import { describe, expect, it } from 'vitest'
import {
  buildImage,
  DfuseDevice,
  FlashdataError,
  INSTANT_TIMING,
  push,
  verify,
  waitForBoard,
  type JobEvent,
} from 'flashdata'
import { allowWritesOutsideDataSector } from '../helpers/guard.js'
import { pseudoRandomBytes } from '../helpers/files.js'
import { bench, flashOps, sectorBytes } from '../helpers/emulator.js'

const image = buildImage(
  [
    { name: 'certs/ca.pem', data: pseudoRandomBytes(1500, 1), mtime: 100 },
    { name: 'sound.wav', data: pseudoRandomBytes(9000, 2), mtime: 200 },
  ],
  { epoch: 1000 },
)
const other = buildImage([{ name: 'other.txt', data: pseudoRandomBytes(20_000, 3), mtime: 5 }], { epoch: 2000 })

describe('push', () => {
  it('writes the image into sector 9, reads it back, and leaves DFU mode', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const events: JobEvent[] = []
    const result = await push({ bus, image, onEvent: (e) => events.push(e) })
    expect(result).toMatchObject({
      status: 'flashed',
      serial: board.serialNumber,
      address: 0x080a0000,
      imageSize: image.length,
      retried: false,
    })
    expect(sectorBytes(board, image.length)).toEqual(image)
    const phases = events.filter((e) => e.type === 'phase-end').map((e) => (e as { phase: string }).phase)
    expect(phases).toEqual(['connect', 'compare', 'erase', 'write', 'verify', 'leave'])
    expect(flashOps(board)).toEqual([
      'erase@80a0000+131072',
      expect.stringMatching(/^program@80a0000\+/),
      'program@80a1000+4096',
      `program@80a2000+${image.length - 8192}`,
    ])
    // Valid firmware at 0x08020000: after the reset the board runs it.
    expect(
      await waitForBoard(bus, (b) => b.info.serial === board.serialNumber && b.info.mode === 'firmware', 2000),
    ).toBeDefined()
  })

  it('switches a board running firmware into DFU mode first (control request 50)', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'firmware' })
    const result = await push({ bus, image })
    expect(result.modeSwitch).toBe('control-request')
    expect(result.phases['mode-switch']).toBeGreaterThanOrEqual(0)
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('skips erase and write when the board already holds the image', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    await push({ bus, image, leave: false })
    const before = flashOps(board)
    const events: JobEvent[] = []
    const again = await push({ bus, image, leave: false, onEvent: (e) => events.push(e) })
    expect(again.status).toBe('unchanged')
    expect(flashOps(board)).toEqual(before)
    expect(events.some((e) => e.type === 'phase-start' && (e.phase === 'erase' || e.phase === 'write'))).toBe(false)
    const forced = await push({ bus, image, leave: false, force: true })
    expect(forced.status).toBe('flashed')
    expect(flashOps(board).length).toBeGreaterThan(before.length)
  })

  it('replaces a different image, and only reads the header to see that it differs', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    await push({ bus, image: other, leave: false })
    const result = await push({ bus, image, leave: false })
    expect(result.status).toBe('flashed')
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('refuses an invalid image before touching the board', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const broken = image.slice()
    broken[300] ^= 0xff
    await expect(push({ bus, image: broken })).rejects.toMatchObject({ code: 'IMAGE_INVALID' })
    expect(flashOps(board)).toEqual([])
  })

  it('refuses a Photon, explaining why, with no flash operation', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu', platform: 'photon' })
    const error = await push({ bus, image }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FlashdataError)
    expect((error as FlashdataError).code).toBe('WRONG_DEVICE')
    expect((error as FlashdataError).message).toContain('over-the-air')
    expect(flashOps(board)).toEqual([])
  })

  it("refuses an --address below the bootloader's protected limit with no flash operation", async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu', platform: 'photon' })
    await expect(push({ bus, image, address: 0x08010000 })).rejects.toMatchObject({ code: 'ADDRESS_REFUSED' })
    expect(flashOps(board)).toEqual([])
  })

  it('refuses every --address but sector 9 on an Electron before any USB request', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'firmware' })
    for (const address of [0x08020000, 0x08000000, 0x080c0000, 0x080a0004]) {
      await expect(push({ bus, image, address })).rejects.toMatchObject({
        code: 'BAD_OPTION',
        message: expect.stringContaining('only sector 9'),
      })
    }
    expect(board.mode).toBe('firmware') // not even switched to DFU mode
    expect(flashOps(board)).toEqual([])
    await expect(push({ bus, image, address: 0x080a0000, leave: false })).resolves.toMatchObject({ status: 'flashed' })
  })

  it('needs --serial when two boards are connected, and matches it case-insensitively', async () => {
    const {
      bus,
      boards: [a, b],
    } = bench({ mode: 'dfu' }, { mode: 'dfu' })
    const error = (await push({ bus, image }).catch((e: unknown) => e)) as FlashdataError
    expect(error.code).toBe('AMBIGUOUS_DEVICE')
    expect(error.message).toContain(a.serialNumber)
    expect(error.message).toContain(b.serialNumber)
    expect(flashOps(a)).toEqual([])
    await push({ bus, image, serial: b.serialNumber.toUpperCase(), leave: false })
    expect(sectorBytes(b, image.length)).toEqual(image)
    expect(flashOps(a)).toEqual([])
  })

  it('says no board was found, and with a wait finds one plugged in later', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    bus.detach(board)
    await expect(push({ bus, image })).rejects.toMatchObject({ code: 'NO_DEVICE' })
    setTimeout(() => bus.attach(board), 100)
    const result = await push({ bus, image, waitMs: 5000, leave: false })
    expect(result.status).toBe('flashed')
  })
})

describe('push --wait-app', () => {
  it('waits until the board runs its firmware again after leaving DFU mode', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'firmware' })
    const result = await push({ bus, image, waitAppMs: 2000 })
    expect(result.phases['wait-app']).toBeGreaterThanOrEqual(0)
    expect(board.mode).toBe('firmware')
    expect(board.device?.productId).toBe(0xc00a)
  })

  it('says so when the board comes back in DFU mode instead (no valid firmware)', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    // Erase the first firmware module so the bootloader stays in DFU mode after the reset.
    allowWritesOutsideDataSector(board)
    const dfu = await DfuseDevice.open(board.device!, { allowedRange: { start: 0x08020000, end: 0x08040000 } })
    await dfu.erase(0x08020000)
    await dfu.close()
    const error = (await push({ bus, image, waitAppMs: 300 }).catch((e: unknown) => e)) as FlashdataError
    expect(error.code).toBe('TIMEOUT')
    expect(error.details).toMatchObject({ waitingFor: 'firmware' })
    expect(sectorBytes(board, image.length)).toEqual(image)
  })
})

describe('switching into DFU mode', () => {
  it('falls back to the 14400-baud request on Device OS before 0.8.0 (no control request 50)', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'firmware', deviceOsVersion: '0.7.0' })
    const result = await push({ bus, image, leave: false })
    expect(result.modeSwitch).toBe('line-coding')
    expect(sectorBytes(board, image.length)).toEqual(image)
  })
})

describe('commands run back to back', () => {
  it('a push right after another, while the board is still resetting from the leave request, waits for it', async () => {
    const timing = { ...INSTANT_TIMING, leaveResetMs: 300, reEnumerationMs: 100 }
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu', timing })
    expect((await push({ bus, image })).status).toBe('flashed')
    const events: JobEvent[] = []
    const again = await push({ bus, image, onEvent: (e) => events.push(e) })
    expect(again.status).toBe('unchanged')
    expect(events.some((e) => e.type === 'message' && e.message.includes('restarting'))).toBe(true)
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('a command right after a push finds the board although it is off the bus while it restarts', async () => {
    const timing = { ...INSTANT_TIMING, leaveResetMs: 0, reEnumerationMs: 400 }
    const { bus } = bench({ mode: 'firmware', timing })
    expect((await push({ bus, image })).status).toBe('flashed')
    await new Promise((resolve) => setTimeout(resolve, 50)) // the board has dropped off the bus
    expect(await bus.getDevices()).toEqual([])
    expect((await verify({ bus, expected: image })).status).toBe('match')
  })
})
