import { describe, expect, it } from 'vitest'
import { buildImage, FlashdataError, push, verify, type EmulatedElectron, type EmulatedUsb } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'
import { bench, sectorBytes } from '../helpers/emulator.js'
import { eprotoBus } from '../helpers/eproto.js'

const image = buildImage([{ name: 'blob.bin', data: pseudoRandomBytes(30_000, 9), mtime: 1 }], { epoch: 77 })
const GETSTATUS = 3
const DNLOAD = 1

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'the push should have failed').toBeInstanceOf(FlashdataError)
  return (error as FlashdataError).code
}

/** After any fault, a plain push must leave a verified image. */
async function recovers(bus: EmulatedUsb, board: EmulatedElectron): Promise<void> {
  if (!board.plugged) board.plugIn()
  const result = await push({ bus, image, waitMs: 5000, leave: false })
  expect(['flashed', 'unchanged']).toContain(result.status)
  expect(sectorBytes(board, image.length)).toEqual(image)
  expect((await verify({ bus, expected: image })).status).toBe('match')
}

describe('push under injected faults', () => {
  it('retries a failed erase once and succeeds', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.faults.failNextErase()
    const result = await push({ bus, image, leave: false })
    expect(result.retried).toBe(true)
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('retries a failed block write once and succeeds', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.faults.failNextWrite()
    expect((await push({ bus, image, leave: false })).retried).toBe(true)
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('catches a silently corrupted word by reading back, and rewrites', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.faults.corruptNextWrite({ address: 0x080a1000 })
    const result = await push({ bus, image, leave: false })
    expect(result.retried).toBe(true)
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('reports a write that fails twice as DFU_WRITE_FAILED (exit 9), then recovers', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.faults.failNextWrite()
    // Fail the retry too: re-arm the fault when push announces it.
    const onEvent = (e: { type: string }) => e.type === 'message' && board.faults.failNextWrite()
    const error = (await push({ bus, image, leave: false, onEvent }).catch((e: unknown) => e)) as FlashdataError
    expect(error.code).toBe('DFU_WRITE_FAILED')
    expect(error.exitCode).toBe(9)
    await recovers(bus, board)
  })

  it('reports a bad cell that corrupts every write as VERIFY_MISMATCH with the offset', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.faults.corruptNextWrite({ address: 0x080a2000 })
    board.faults.corruptNextWrite({ address: 0x080a2000 })
    const error = (await push({ bus, image, leave: false }).catch(
      (e: unknown) => e,
    )) as FlashdataError<'VERIFY_MISMATCH'>
    expect(error.code).toBe('VERIFY_MISMATCH')
    expect(error.details?.offset).toBe(0x2000)
    expect(error.exitCode).toBe(10)
    await recovers(bus, board)
  })

  for (const op of ['erase', 'write', 'upload'] as const) {
    it(`reports a cable pulled during ${op} as DISCONNECTED (exit 11); the next push fixes the sector`, async () => {
      const {
        bus,
        boards: [board],
      } = bench({ mode: 'dfu' })
      if (op === 'upload')
        await push({
          bus,
          image: buildImage([{ name: 'old', data: pseudoRandomBytes(40_000, 4), mtime: 0 }], { epoch: 1 }),
          leave: false,
        })
      board.faults.disconnectDuring(op, { after: op === 'write' ? 3 : 0 })
      const error = (await push({ bus, image, leave: false }).catch((e: unknown) => e)) as FlashdataError
      expect(error.code).toBe('DISCONNECTED')
      expect(error.exitCode).toBe(11)
      await recovers(bus, board)
    })
  }

  it('detects a half-written image left by an interrupted push and rewrites it', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.faults.disconnectDuring('write', { after: 5 })
    await expect(push({ bus, image, leave: false })).rejects.toMatchObject({ code: 'DISCONNECTED' })
    board.plugIn()
    expect((await verify({ bus, expected: image, waitMs: 5000 })).status).toBe('no-image')
    const result = await push({ bus, image, leave: false })
    expect(result.status).toBe('flashed')
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('reports a status request that is never answered as TIMEOUT (exit 12), then recovers', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.faults.neverAnswer({ request: GETSTATUS, occurrence: 4 })
    const error = (await push({ bus, image, leave: false, transferTimeoutMs: 300 }).catch(
      (e: unknown) => e,
    )) as FlashdataError
    expect(error.code).toBe('TIMEOUT')
    expect(error.exitCode).toBe(12)
    await recovers(bus, board)
  })

  it('reports a stalled download request as a device error, then recovers', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    board.faults.stallRequest({ request: DNLOAD, occurrence: 3 })
    expect(await codeOf(push({ bus, image, leave: false }))).toMatch(/^DFU_/)
    await recovers(bus, board)
  })

  for (const state of ['dfuERROR', 'dfuDNLOAD-IDLE', 'dfuUPLOAD-IDLE'] as const) {
    it(`starts cleanly from a bootloader left in ${state}`, async () => {
      const {
        bus,
        boards: [board],
      } = bench({ mode: 'dfu', dfuState: state })
      expect((await push({ bus, image, leave: false })).status).toBe('flashed')
      expect(sectorBytes(board, image.length)).toEqual(image)
    })
  }

  it('gives up with DFU_MODE_TIMEOUT (exit 12) when a switched board never comes back', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'firmware' })
    board.faults.vanishAfterDfuSwitch()
    const error = (await push({ bus, image, dfuTimeoutMs: 500 }).catch((e: unknown) => e)) as FlashdataError
    expect(error.code).toBe('DFU_MODE_TIMEOUT')
    expect(error.details).toMatchObject({ timeoutMs: 500 })
    board.plugIn({ mode: 'dfu' })
    await recovers(bus, board)
  })
})

describe('a transfer cut by a pulled cable, reported as a protocol error (the usb package on Linux: EPROTO)', () => {
  it('is DISCONNECTED (exit 11) when the board has left the bus', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const bus = eprotoBus(emulated)
    board.faults.disconnectDuring('write', { after: 2 })
    const error = (await push({ bus, image, leave: false }).catch((e: unknown) => e)) as FlashdataError
    expect(error.code).toBe('DISCONNECTED')
    expect(error.exitCode).toBe(11)
    await recovers(emulated, board)
  })

  it('stays a USB transfer error (exit 9) when the board is still there', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const bus = eprotoBus(emulated)
    await push({
      bus,
      image: buildImage([{ name: 'x', data: new Uint8Array(10), mtime: 0 }], { epoch: 0 }),
      leave: false,
    })
    // The first requests read descriptors, which are retried: fail every attempt.
    bus.failNext(3)
    const error = (await push({ bus, image, leave: false }).catch((e: unknown) => e)) as FlashdataError
    expect(error.code).toBe('USB_TRANSFER')
    expect(error.exitCode).toBe(9)
    await recovers(emulated, board)
  })

  it('a descriptor read that fails twice under load is read again, and the push goes through', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const bus = eprotoBus(emulated)
    bus.failNext(2)
    await expect(push({ bus, image, leave: false })).resolves.toMatchObject({ status: 'flashed' })
    expect(sectorBytes(board, image.length)).toEqual(image)
  })
})
