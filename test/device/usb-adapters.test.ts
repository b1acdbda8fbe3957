// Each USB adapter types its own stack's failures once (src/usb/types.ts' contract); the layers
// above see only the UsbError kind. A failure is classified by what its stack states structurally:
// a DOMException's name, the emulator's kind; the `usb` package states nothing but its words.
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, EmulatedElectron, ExitCode, push, UsbError, usbError, wrapSystemUsb } from 'flashdata'
import { classifyingBus } from '../../src/usb/classifying.js'
import { BINARY_REASONS, usbPackageError } from '../../src/usb/usb-package-errors.js'
import { webUsbError } from '../../src/usb/webusb-errors.js'
import { bench, flashOps } from '../helpers/emulator.js'
import { flakyBus } from '../helpers/flaky-bus.js'

const image = buildImage([{ name: 'a.txt', data: new TextEncoder().encode('hello'), mtime: 1 }], { epoch: 1 })
const UNRELATED = 'purple elephants dance quietly'

/** The installed `usb` package's native binaries (the prebuilt one for this machine among them). */
function usbBinaries(): string[] {
  const usbDir = dirname(createRequire(import.meta.url).resolve('usb/package.json'))
  const scope = join(usbDir, '..', '@node-usb')
  return readdirSync(scope).flatMap((name) =>
    readdirSync(join(scope, name))
      .filter((file) => file.endsWith('.node'))
      .map((file) => readFileSync(join(scope, name, file), 'latin1').toLowerCase()),
  )
}

describe('the usb package adapter (device/system-usb.ts)', () => {
  it('every reason it classifies by is still worded so in the installed package', () => {
    const binaries = usbBinaries()
    expect(binaries.length).toBeGreaterThan(0)
    const missing = BINARY_REASONS.flatMap(([, phrases]) => phrases).filter(
      (phrase) => !binaries.some((binary) => binary.includes(phrase)),
    )
    expect(missing).toEqual([])
  })

  it.each(BINARY_REASONS.flatMap(([kind, phrases]) => phrases.map((phrase) => [phrase, kind] as const)))(
    '"%s" is %s',
    (phrase, kind) => {
      expect(usbPackageError(new Error(`claimInterface error: ${phrase}`)).kind).toBe(kind)
    },
  )

  it('a reason it does not know is a transfer failure (the package states nothing else to go by)', () => {
    expect(usbPackageError(new Error(UNRELATED))).toMatchObject({ kind: 'transfer', message: UNRELATED })
  })

  it("types a device's failures where the package is called: a busy claim is BUSY (exit 17)", async () => {
    const {
      bus: emulated,
      boards: [board],
    } = bench({ mode: 'dfu' })
    let seen: unknown
    const bus = wrapSystemUsb(
      flakyBus(emulated, (_device, method) =>
        method === 'claimInterface' ? new Error('claimInterface error: interface is busy') : undefined,
      ),
    )
    const [device] = await bus.getDevices()
    await device.open()
    await device.claimInterface(0).catch((error: unknown) => (seen = error))
    expect(seen).toMatchObject({ name: 'UsbError', kind: 'busy' })
    await expect(push({ bus, image })).rejects.toMatchObject({ code: 'BUSY', exitCode: ExitCode.BUSY })
    expect(flashOps(board)).toEqual([])
  })
})

describe('the navigator.usb adapter (web/webusb.ts)', () => {
  it.each([
    ['NotFoundError', 'disconnected'],
    ['NetworkError', 'transfer'],
    ['SecurityError', 'access'],
    ['InvalidStateError', 'state'],
    ['TimeoutError', 'timeout'],
    ['AbortError', 'timeout'],
    ['toString', 'transfer'],
  ])('a %s with a message of unrelated words is %s', (name, kind) => {
    expect(webUsbError(new DOMException(UNRELATED, name), 'controlTransferIn')).toMatchObject({
      kind,
      message: UNRELATED,
    })
  })

  it('a claim that fails with a NetworkError is busy (another program, or no WinUSB driver)', () => {
    expect(webUsbError(new DOMException(UNRELATED, 'NetworkError'), 'claimInterface').kind).toBe('busy')
  })

  it("types the bus's devices, keeps one object per device, and the job reports a board gone as DISCONNECTED (exit 11)", async () => {
    const { bus: emulated } = bench({ mode: 'dfu' })
    const bus = classifyingBus(
      flakyBus(emulated, (_device, method) =>
        method === 'controlTransferIn' ? new DOMException(UNRELATED, 'NotFoundError') : undefined,
      ),
      webUsbError,
    )
    const [first] = await bus.getDevices()
    expect((await bus.getDevices())[0]).toBe(first)
    await expect(push({ bus, image })).rejects.toMatchObject({
      code: 'DISCONNECTED',
      exitCode: ExitCode.DISCONNECTED,
    })
  })
})

describe('the emulator', () => {
  it('fails with the kind its contract names; the driver goes by the kind alone', async () => {
    const board = new EmulatedElectron({ mode: 'dfu' })
    const device = board.device!
    const setup = { requestType: 'class', recipient: 'interface', request: 3, value: 0, index: 0 } as const
    await expect(device.controlTransferIn(setup, 6)).rejects.toMatchObject({ name: 'UsbError', kind: 'state' })
    await device.open()
    board.unplug()
    const gone = await device.controlTransferIn(setup, 6).catch((error: unknown) => error)
    expect(gone).toMatchObject({ kind: 'disconnected' })
    expect(usbError(new UsbError('disconnected', UNRELATED), 'getstatus request').code).toBe('DISCONNECTED')
  })
})
