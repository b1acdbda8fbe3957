import { readFile, writeFile } from 'node:fs/promises'
import type { FlashdataError } from '../../src/errors.js'
import { cliHint } from '../../src/cli/hints.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode, parseImage, wrapSystemUsb, type UsbBusLike } from 'flashdata'
import { spawn } from 'node:child_process'
import { ndjson, REPO, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }

describe('push / verify / pull / devices on an emulated Electron (CLI)', () => {
  it('pushes the example folder, verifies it, pulls it back, and sees an unchanged folder as unchanged', async () => {
    const dir = await tempDir()
    const emulator = join(dir, 'electron.bin')
    const env = { ...instant, FLASHDATA_EMULATOR: emulator }
    const pushed = await runCli(['push', 'examples/data'], { env })
    expect(pushed.stderr).toContain("In DFU mode: switched with Device OS's DFU request (50)")
    expect(pushed.text).toMatch(/^Flashed [\d,]+ bytes \(4 files, CRC 0x[0-9A-F]{8}\) to [0-9a-f]{24} and verified it/)
    expect(pushed.code).toBe(0)

    const verified = await runCli(['verify', 'examples/data'], { env })
    expect(verified.text).toContain('Match:')
    expect(verified.code).toBe(0)

    const again = await runCli(['push', 'examples/data', '--json'], { env })
    const events = ndjson(again.text)
    expect(events.at(-1)).toMatchObject({ type: 'result', status: 'unchanged', files: 4 })
    expect(events.some((e) => e.phase === 'erase')).toBe(false)

    const out = join(dir, 'pulled.bin')
    expect((await runCli(['pull', '-o', out], { env })).code).toBe(0)
    const pulled = parseImage(new Uint8Array(await readFile(out)))
    expect(pulled.files.map((f) => f.name)).toEqual(['certs/ca.pem', 'hello.txt', 'logo.png', 'sounds/chime.wav'])

    const extracted = join(dir, 'extracted')
    expect((await runCli(['pull', '-o', extracted, '--extract'], { env })).code).toBe(0)
    expect(await readFile(join(extracted, 'hello.txt'))).toEqual(await readFile('examples/data/hello.txt'))
  })

  it('gives verify distinct exit codes: differs 10, no image 13', async () => {
    const dir = await tempDir()
    const env = { ...instant, FLASHDATA_EMULATOR: join(dir, 'e.bin') }
    await writeFile(join(dir, 'e.bin'), '') // a blank board
    const blank = await runCli(['verify'], { env })
    expect(blank.code).toBe(ExitCode.NO_IMAGE_ON_DEVICE)
    expect(blank.text).toContain('No valid image')
    await runCli(['push', 'examples/data'], { env })
    const differs = await runCli(['verify', 'examples/data', '--epoch', '1', '--exact'], { env })
    expect(differs.code).toBe(ExitCode.VERIFY_MISMATCH)
    expect(differs.text).toContain('hello.txt: the same bytes, another content type or time stamp') // --epoch 1 clamps the file times
  })

  it('emits NDJSON events tagged with the serial and a final result with per-phase times', async () => {
    const dir = await tempDir()
    const result = await runCli(['push', 'examples/data', '--json', '--emulator', join(dir, 'e.bin')], { env: instant })
    const events = ndjson(result.text)
    const final = events.at(-1)!
    expect(final).toMatchObject({ type: 'result', status: 'flashed', platform: 'electron' })
    expect(Object.keys(final.phases as object)).toEqual([
      'connect',
      'mode-switch',
      'compare',
      'erase',
      'write',
      'verify',
      'leave',
    ])
    // Every event after the board is found carries its serial.
    expect(events.slice(1, -1).every((e) => e.serial === final.serial)).toBe(true)
  })

  it('lists emulated boards with devices --json, one per flash file in a folder', async () => {
    const dir = await tempDir()
    await runCli(['push', 'examples/data', '--emulator', join(dir, '0123456789abcdef01234567.bin')], { env: instant })
    await runCli(['push', 'examples/data', '--emulator', join(dir, 'fedcba9876543210fedcba98.bin')], { env: instant })
    const listed = await runCli(['devices', '--json', '--emulator', dir], { env: instant })
    expect((JSON.parse(listed.text) as { boards: { serial: string }[] }).boards.map((b) => b.serial)).toEqual([
      '0123456789abcdef01234567',
      'fedcba9876543210fedcba98',
    ])
    const ambiguous = await runCli(['verify', '--emulator', dir], { env: instant })
    expect(ambiguous.code).toBe(ExitCode.AMBIGUOUS_DEVICE)
    expect(ambiguous.stderr).toContain('--serial')
    const chosen = await runCli(['verify', '--serial', 'FEDCBA9876543210FEDCBA98', '--emulator', dir], { env: instant })
    expect(chosen.code).toBe(0)
  })

  it('two boards answering to the --serial given: says they share it and to unplug one, never to pass --serial', async () => {
    const dir = await tempDir()
    // Serials compare in lower case: these two flash files are two boards with one serial.
    await writeFile(join(dir, 'AAAAAAAAAAAAAAAAAAAAAAA1.bin'), '')
    await writeFile(join(dir, 'aaaaaaaaaaaaaaaaaaaaaaa1.bin'), '')
    const result = await runCli(
      ['push', 'examples/data', '--emulator', dir, '--serial', 'aaaaaaaaaaaaaaaaaaaaaaa1', '--json'],
      {
        env: instant,
      },
    )
    expect(result.code).toBe(ExitCode.AMBIGUOUS_DEVICE)
    const error = ndjson(result.text).at(-1)!
    expect(error.message).toMatch(
      /^2 Particle boards answer to aaaaaaaaaaaaaaaaaaaaaaa1 \(they share a serial or device id\)/,
    )
    expect(error.hint).toBe('Unplug all but the board you mean, then run the command again.')
  })

  it('checks bad input before touching the board: an oversized folder writes nothing', async () => {
    const dir = await tempDir()
    const emulator = join(dir, 'e.bin')
    const result = await runCli(['push', 'test', '--emulator', emulator], { env: instant })
    expect(result.code).toBe(ExitCode.INPUT)
    await expect(readFile(emulator)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('switches modes with flashdata dfu and flashdata reset', async () => {
    const dir = await tempDir()
    const env = { ...instant, FLASHDATA_EMULATOR: join(dir, 'e.bin') }
    const dfu = await runCli(['dfu', '--json'], { env })
    expect(ndjson(dfu.text).at(-1)).toMatchObject({ type: 'result', changed: true, method: 'control-request' })
    const reset = await runCli(['reset', '--json'], { env: { ...env, FLASHDATA_EMULATOR_MODE: 'dfu' } })
    expect(ndjson(reset.text).at(-1)).toMatchObject({ type: 'result', changed: true })
    expect(ndjson(reset.text).some((e) => e.phase === 'leave')).toBe(true)
  })

  it("resets a board running firmware with Device OS's reset request (40)", async () => {
    const dir = await tempDir()
    const env = { ...instant, FLASHDATA_EMULATOR: join(dir, 'e.bin') }
    const reset = await runCli(['reset', '--json'], { env })
    const events = ndjson(reset.text)
    expect(events.at(-1)).toMatchObject({ type: 'result', changed: true, method: 'control-request' })
    expect(events.filter((e) => e.type === 'phase-end').map((e) => e.phase)).toEqual(['connect', 'reset'])
    const plain = await runCli(['reset'], { env })
    expect([plain.code, plain.text]).toEqual([0, expect.stringMatching(/^[0-9a-f]{24} restarts its firmware\.\n$/)])
  })

  it('devices shows the Device OS version and mode a board running firmware reports, and its device id', async () => {
    const dir = await tempDir()
    const env = { ...instant, FLASHDATA_EMULATOR: join(dir, '0123456789abcdef01234567.bin') }
    await writeFile(env.FLASHDATA_EMULATOR, '') // a blank board
    const listed = await runCli(['devices', '--json'], { env })
    expect(JSON.parse(listed.text).boards).toMatchObject([
      {
        serial: '0123456789abcdef01234567',
        mode: 'firmware',
        deviceOs: '2.3.1',
        deviceOsMode: 'normal',
        deviceId: '0123456789abcdef01234567',
      },
    ])
    const table = await runCli(['devices'], { env })
    expect(table.text).toMatch(
      /^SERIAL +PLATFORM +MODE +DEVICE OS +USB ID +PATH\n0123456789abcdef01234567 +Electron \/ E-Series +firmware +2\.3\.1 +2b04:c00a +\S+\.bin\n$/,
    )
    const dfu = await runCli(['devices', '--json'], { env: { ...env, FLASHDATA_EMULATOR_MODE: 'dfu' } })
    const [board] = JSON.parse(dfu.text).boards
    expect([board.mode, board.deviceOs, board.deviceOsMode]).toEqual(['dfu', undefined, undefined]) // the bootloader is not Device OS
  })
})

describe('the real USB path on a machine without boards', () => {
  it('lists no devices without an error, and push says no board was found (exit 5) with what to do', async () => {
    const env = { FLASHDATA_EMULATOR: undefined }
    const listed = await runCli(['devices'], { env })
    expect(listed.code).toBe(0)
    expect(listed.text).toContain('No Particle boards found')
    const pushed = await runCli(['push', 'examples/data'], { env })
    expect(pushed.code).toBe(ExitCode.NO_DEVICE)
    expect(pushed.stderr).toContain('No Particle board found on USB')
    expect(pushed.stderr).toContain('flashdata doctor shows which boards the system sees')
  })

  it('explains the udev rule when the USB stack refuses access', async () => {
    const denied: UsbBusLike = {
      getDevices: async () => {
        throw new Error('Permission denied (os error 13)')
      },
      addEventListener: () => {},
      removeEventListener: () => {},
    }
    const error = await wrapSystemUsb(denied)
      .getDevices()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'USB_ACCESS', exitCode: ExitCode.USB_ACCESS })
    expect(cliHint(error as FlashdataError)).toContain('flashdata udev | sudo tee /etc/udev/rules.d/50-particle.rules')
  })
})

describe('the usb package adapter', () => {
  it('enumerates, opens and reads the configuration again when a string read fails (a device leaving the bus, a late answer), reads the configuration once per open, and gives up with USB_UNAVAILABLE', async () => {
    let failures = 2
    const flaky = wrapSystemUsb({
      getDevices: async () => {
        if (failures-- > 0) throw new Error('getString error: transfer was cancelled')
        return []
      },
      addEventListener: () => {},
      removeEventListener: () => {},
    })
    expect(await flaky.getDevices()).toEqual([])
    let openFailures = 2
    const device = {
      open: async () => {
        if (openFailures-- > 0) throw new Error('getString error: transfer was cancelled')
      },
    }
    const [opened] = await wrapSystemUsb({
      getDevices: async () => [device as never],
      addEventListener: () => {},
      removeEventListener: () => {},
    }).getDevices()
    await opened.open()
    expect(openFailures).toBe(-1)
    // The getter reads the interface names over the wire each time: open reads it (again after a failure), the getter then answers from that.
    let reads = 0
    const slow = {
      open: async () => {},
      close: async () => {},
      get configuration() {
        if (reads++ < 2) throw new Error('getString error: transfer was cancelled')
        return { configurationValue: 1 }
      },
    }
    const [wrapped] = await wrapSystemUsb({
      getDevices: async () => [slow as never],
      addEventListener: () => {},
      removeEventListener: () => {},
    }).getDevices()
    await wrapped.open()
    expect(reads).toBe(3)
    expect(wrapped.configuration).toEqual({ configurationValue: 1 })
    expect(wrapped.configuration).toEqual({ configurationValue: 1 })
    expect(reads).toBe(3)
    await wrapped.close()
    expect(wrapped.configuration).toEqual({ configurationValue: 1 })
    expect(reads).toBe(4)
    const broken = wrapSystemUsb({
      getDevices: async () => {
        throw new Error('getString error: transfer was cancelled')
      },
      addEventListener: () => {},
      removeEventListener: () => {},
    })
    await expect(broken.getDevices()).rejects.toMatchObject({ code: 'USB_UNAVAILABLE' })
  })

  it("while the bus is open, ignores the package's own uncaught enumeration failing on a string read or on a board that left, and no other unhandled rejection", async () => {
    const script = (message: string) => `
      const { ignoreStrayEnumerationFailures } = await import('./dist/device/system-usb.js')
      ignoreStrayEnumerationFailures()
      Promise.reject(new Error(${JSON.stringify(message)}))
      setTimeout(() => console.log('still running'), 50)`
    const run = (message: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script(message)], { cwd: REPO })
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d
        })
        child.on('close', (code) => resolve({ code, out }))
      })
    expect(await run('getString error: transfer was cancelled')).toEqual({ code: 0, out: 'still running\n' })
    // Its open of a board that reset under it (the DFU switch).
    expect(await run('open error: device not found (errno 2)')).toEqual({ code: 0, out: 'still running\n' })
    expect(await run('something else')).toMatchObject({ code: 1, out: '' })
  })

  it("subscribes to the package's hot-plug events once, when the first listener is added (not for a job that never waits), and until closed", async () => {
    const subscribed = new Map<string, (event: { device: unknown }) => void>()
    const calls: string[] = []
    const bus = wrapSystemUsb({
      getDevices: async () => [],
      addEventListener: (type, listener) => {
        calls.push(`add ${type}`)
        subscribed.set(type, listener as never)
      },
      removeEventListener: (type) => {
        calls.push(`remove ${type}`)
        subscribed.delete(type)
      },
    })
    await bus.getDevices()
    expect(calls).toEqual([])
    const seen: unknown[] = []
    const listener = (event: { device: unknown }) => seen.push(event.device)
    for (let i = 0; i < 3; i++) {
      bus.addEventListener('connect', listener)
      subscribed.get('connect')!({ device: { serialNumber: `d${i}` } })
      bus.removeEventListener('connect', listener)
    }
    subscribed.get('connect')!({ device: { serialNumber: 'unheard' } })
    expect(seen).toMatchObject([{ serialNumber: 'd0' }, { serialNumber: 'd1' }, { serialNumber: 'd2' }])
    expect(calls).toEqual(['add connect', 'add disconnect'])
    bus.close()
    expect(calls).toEqual(['add connect', 'add disconnect', 'remove connect', 'remove disconnect'])
    const unused: string[] = []
    wrapSystemUsb({
      getDevices: async () => [],
      addEventListener: () => unused.push('add'),
      removeEventListener: () => unused.push('remove'),
    }).close()
    expect(unused).toEqual([])
  })

  it('turns a STALL reported as a rejection into status "stall", keeps other errors, and keeps device identity', async () => {
    const calls: unknown[] = []
    const device = {
      vendorId: 0x2b04,
      productId: 0xd00a,
      serialNumber: 'abc',
      controlTransferIn: async () => {
        throw new Error('controlTransferIn error: endpoint STALL condition')
      },
      controlTransferOut: async (_setup: unknown, data: unknown) => {
        calls.push(data)
        throw new Error('controlTransferOut error: no such device')
      },
    }
    const bus = wrapSystemUsb({
      getDevices: async () => [device as never],
      addEventListener: () => {},
      removeEventListener: () => {},
    })
    const [wrapped] = await bus.getDevices()
    expect((await bus.getDevices())[0]).toBe(wrapped)
    const setup = { requestType: 'class' as const, recipient: 'interface' as const, request: 3, value: 0, index: 0 }
    expect(await wrapped.controlTransferIn(setup, 6)).toEqual({ status: 'stall' })
    await expect(wrapped.controlTransferOut(setup)).rejects.toThrow('no such device')
    expect(calls[0]).toEqual(new Uint8Array(0))
    expect(wrapped.serialNumber).toBe('abc')
  })
})
