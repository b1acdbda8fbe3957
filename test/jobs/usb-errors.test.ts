import { rm, writeFile } from 'node:fs/promises'
import type { FlashdataError } from '../../src/errors.js'
import { cliHint } from '../../src/cli/hints.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, ExitCode, openBus, push, usbError, wrapSystemUsb } from 'flashdata'
import { usbPackageError } from '../../src/usb/usb-package-errors.js'
import { tempDir } from '../helpers/tmp.js'
import { bench, flashOps, sectorBytes } from '../helpers/emulator.js'
import { flakyBus } from '../helpers/flaky-bus.js'

const image = buildImage([{ name: 'a.txt', data: new TextEncoder().encode('hello'), mtime: 1 }], { epoch: 1 })
const DFU_PRODUCT = 0xd00a

describe('USB-layer errors', () => {
  it.each([
    // The `usb` package 3.x's words (nusb), typed where the package is called.
    ['claimInterface error: interface is busy', 'BUSY'],
    ['open error: permission denied', 'USB_ACCESS'],
    ['open error: Permission denied (os error 13)', 'USB_ACCESS'],
    ['getString error: transfer was cancelled', 'TIMEOUT'],
    ['controlTransferIn error: device disconnected', 'DISCONNECTED'],
    ['open error: No such device (os error 19)', 'DISCONNECTED'],
    ['controlTransferIn error: hardware fault or protocol violation', 'USB_TRANSFER'],
  ])('"%s" from the usb package is %s', (message, code) => {
    const error = usbError(usbPackageError(new Error(message)), 'open')
    expect(error.code).toBe(code)
  })

  it('opening a board in firmware mode that fails for good is a typed error, not an internal one', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'firmware' })
    const bus = wrapSystemUsb(
      flakyBus(emulated, (_device, method) =>
        method === 'open' ? new Error('getString error: transfer was cancelled') : undefined,
      ),
    )
    await expect(push({ bus, image })).rejects.toMatchObject({ code: 'TIMEOUT', exitCode: ExitCode.TIMEOUT })
    expect(flashOps(board)).toEqual([])
  })

  it('retries an open whose string descriptor reads are cancelled under load', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'firmware' })
    let failures = 0
    const bus = wrapSystemUsb(
      flakyBus(emulated, (_device, method) =>
        method === 'open' && failures++ < 2 ? new Error('getString error: transfer was cancelled') : undefined,
      ),
    )
    await expect(push({ bus, image, leave: false })).resolves.toMatchObject({ status: 'flashed' })
    expect(failures).toBeGreaterThanOrEqual(2)
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('retries access denied right after the DFU switch (udev not done yet), then goes on', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'firmware' })
    let denied = 0
    const bus = wrapSystemUsb(
      flakyBus(emulated, (device, method) =>
        method === 'open' && device.productId === DFU_PRODUCT && denied++ < 3
          ? new Error('open error: permission denied')
          : undefined,
      ),
    )
    await expect(push({ bus, image, leave: false })).resolves.toMatchObject({
      status: 'flashed',
      modeSwitch: 'control-request',
    })
    expect(denied).toBe(4)
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('reports USB_ACCESS with the udev hint when access stays denied after the switch', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'firmware' })
    const bus = wrapSystemUsb(
      flakyBus(emulated, (device, method) =>
        method === 'open' && device.productId === DFU_PRODUCT ? new Error('open error: permission denied') : undefined,
      ),
    )
    const error = await push({ bus, image }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'USB_ACCESS', exitCode: ExitCode.USB_ACCESS })
    expect(cliHint(error as FlashdataError)).toContain('udev')
    expect(flashOps(board)).toEqual([])
  })

  it('a board that leaves the bus as it is listed is not listed (the usb package opens it for its serial and fails)', async () => {
    const {
      bus: emulated,
      boards: [staying, leaving],
    } = bench({ mode: 'dfu' }, { mode: 'dfu' })
    const gone = leaving.device
    const bus = wrapSystemUsb(
      flakyBus(emulated, (device, property) =>
        device === gone && property === 'serialNumber'
          ? new Error('open error: device not found (errno 2)')
          : undefined,
      ),
    )
    // Not "several boards, choose one", and not an internal error.
    await expect(push({ bus, image, leave: false })).resolves.toMatchObject({
      status: 'flashed',
      serial: staying.serialNumber,
    })
    expect(sectorBytes(staying, image.length)).toEqual(image)
    expect(flashOps(leaving)).toEqual([])
  })

  it('a board found as it restarts, whose device is gone by the open, is waited for and opened as it comes back', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const stale = board.device
    const bus = wrapSystemUsb(
      flakyBus(emulated, (device, method) => {
        if (device !== stale || method !== 'open') return undefined
        if (board.device === stale) {
          board.unplug()
          board.plugIn()
        }
        return new Error('open error: device not found (errno 2)')
      }),
    )
    const messages: string[] = []
    const result = await push({
      bus,
      image,
      leave: false,
      onEvent: (event) => event.type === 'message' && messages.push(event.message),
    })
    expect(result.status).toBe('flashed')
    expect(messages).toContainEqual(expect.stringContaining('restarting'))
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('a board whose DFU interface another process holds is BUSY (exit 17)', async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const bus = wrapSystemUsb(
      flakyBus(emulated, (_device, method) =>
        method === 'claimInterface' ? new Error('claimInterface error: interface is busy') : undefined,
      ),
    )
    await expect(push({ bus, image })).rejects.toMatchObject({ code: 'BUSY', exitCode: ExitCode.BUSY })
    expect(flashOps(board)).toEqual([])
  })

  it('an emulated station whose folder is removed has no boards, rather than an internal error', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'aaaaaaaaaaaaaaaaaaaaaaa1.bin'), new Uint8Array(0x100000).fill(0xff))
    const { bus, close } = await openBus({ emulator: dir, env: { FLASHDATA_EMULATOR_TIMING: 'instant' } })
    try {
      expect(await bus.getDevices()).toHaveLength(1)
      await rm(dir, { recursive: true })
      expect(await bus.getDevices()).toEqual([])
    } finally {
      await close()
    }
  })
})
