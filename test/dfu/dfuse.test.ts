import { afterEach, describe, expect, it } from 'vitest'
import { EmulatedElectron, type EmulatedElectronOptions } from '../../src/emulator/index.js'
import {
  DfuseDevice,
  DfuState,
  isFlashdataError,
  type DfuseOpenOptions,
  type DfuseStats,
  type ErrorCode,
} from '../../src/index.js'
import type { UsbDeviceLike } from '../../src/usb/types.js'
import { allowWritesOutsideDataSector } from '../helpers/guard.js'

const SECTOR_9 = 0x080a0000
const SECTOR_SIZE = 0x20000
const SECTOR_9_RANGE = { start: SECTOR_9, end: SECTOR_9 + SECTOR_SIZE }
const DNLOAD = 1
const GETSTATUS = 3

const boards: EmulatedElectron[] = []
afterEach(() => {
  for (const emu of boards.splice(0)) emu.close()
})

function newBoard(options: EmulatedElectronOptions = {}): EmulatedElectron {
  const emu = new EmulatedElectron(options)
  boards.push(emu)
  return emu
}

async function openBoard(options: DfuseOpenOptions = {}, boardOptions: EmulatedElectronOptions = {}) {
  const emu = newBoard(boardOptions)
  const dfu = await DfuseDevice.open(emu.device!, options)
  return { emu, dfu }
}

function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed * 2654435761
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

function snapshot(stats: DfuseStats): DfuseStats {
  return structuredClone(stats)
}

/** The transfers made since `before`, as counts by kind (zero kinds left out). */
function delta(before: DfuseStats, after: DfuseStats): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [kind, count] of Object.entries(after.transfers)) {
    const n = count - before.transfers[kind as keyof DfuseStats['transfers']]
    if (n !== 0) out[kind] = n
  }
  return out
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<{ code: ErrorCode; message: string; details?: Record<string, unknown> }> {
  try {
    await promise
  } catch (error) {
    if (isFlashdataError(error)) return error
    throw error
  }
  throw new Error('expected a FlashdataError')
}

/** An emulator device whose stack reports no interface names (as some do), so the driver reads the strings itself. */
function withoutInterfaceNames(device: UsbDeviceLike): UsbDeviceLike {
  return new Proxy(device, {
    get(target, key) {
      if (key === 'configuration') {
        const config = target.configuration
        return (
          config && {
            ...config,
            interfaces: config.interfaces.map((i) => ({
              ...i,
              alternates: i.alternates.map((a) => ({ ...a, interfaceName: null })),
            })),
          }
        )
      }
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('open', () => {
  it('opens the device, reads the functional descriptor and the alt-0 layout with the protection overlay', async () => {
    const emu = newBoard()
    expect(emu.device!.opened).toBe(false)
    const dfu = await DfuseDevice.open(emu.device!)
    expect(emu.device!.opened).toBe(true)
    expect(emu.device!.configuration!.interfaces[0].claimed).toBe(true)
    expect(dfu.functional).toEqual({
      attributes: 0x0b,
      canDownload: true,
      canUpload: true,
      manifestationTolerant: false,
      willDetach: true,
      detachTimeoutMs: 255,
      transferSize: 4096,
      dfuVersion: 0x011a,
    })
    expect(dfu.transferSize).toBe(4096)
    expect(dfu.timeoutMs).toBe(5000)
    expect(dfu.layout.name).toBe('Internal Flash')
    expect(dfu.layout.segments.map((s) => [s.start, s.end, s.pageSize, s.writable])).toEqual([
      [0x08000000, 0x0800c000, 0x4000, false],
      [0x0800c000, 0x08010000, 0x4000, false],
      [0x08010000, 0x08020000, 0x10000, false],
      [0x08020000, 0x08100000, 0x20000, true],
    ])
    // Configuration descriptor (9 bytes, then all), GETSTATE, one GETSTATUS: already idle.
    expect(dfu.stats.transfers).toMatchObject({ descriptor: 2, getstate: 1, getstatus: 1, abort: 0, clrstatus: 0 })
    expect(dfu.state).toBe(DfuState.dfuIDLE)
  })

  it('opens alt 1 (DCT), where the 0x08020000 rule does not apply', async () => {
    const { dfu } = await openBoard({ alt: 1 })
    expect(dfu.layout).toEqual({
      name: 'DCT Flash',
      segments: [{ start: 0, end: 0x4000, pageSize: 0x4000, readable: true, erasable: true, writable: true }],
    })
  })

  it('reads the alt name from the string descriptor when the stack gives none', async () => {
    const emu = newBoard()
    const dfu = await DfuseDevice.open(withoutInterfaceNames(emu.device!))
    expect(dfu.layout.name).toBe('Internal Flash')
    expect(dfu.stats.transfers.descriptor).toBe(4) // configuration x2, LANGID, string 6
  })

  it('refuses an alternate setting the device does not have, and releases the interface', async () => {
    const emu = newBoard()
    const error = await errorOf(DfuseDevice.open(emu.device!, { alt: 2 }))
    expect(error).toMatchObject({
      code: 'DFU_PROTOCOL',
      message: 'USB interface 0 has no alternate setting 2 (it has 0, 1)',
    })
    expect(emu.device!.opened).toBe(false)
  })

  it('refuses a board running its firmware (no DFU interface)', async () => {
    const emu = newBoard({ mode: 'firmware' })
    const error = await errorOf(DfuseDevice.open(emu.device!))
    expect(error).toMatchObject({ code: 'DFU_PROTOCOL', message: expect.stringMatching(/not a DFU interface/) })
  })
})

describe('start-state normalisation', () => {
  it.each([
    ['dfuERROR', { clrstatus: 1, abort: 0 }],
    ['dfuDNLOAD-IDLE', { clrstatus: 0, abort: 1 }],
    ['dfuUPLOAD-IDLE', { clrstatus: 0, abort: 1 }],
  ] as const)('from %s: ends in dfuIDLE with one CLRSTATUS only in dfuERROR', async (dfuState, expected) => {
    const { dfu } = await openBoard({}, { dfuState })
    expect(dfu.stats.transfers).toMatchObject({ ...expected, getstatus: 2 })
    expect((await dfu.getStatus()).state).toBe(DfuState.dfuIDLE)
  })

  it('aborts a pending download left by another host instead of executing it', async () => {
    const emu = newBoard()
    const device = emu.device!
    await device.open()
    await device.claimInterface(0)
    await device.controlTransferOut(
      { requestType: 'class', recipient: 'interface', request: DNLOAD, value: 2, index: 0 },
      new Uint8Array(64),
    )
    const dfu = await DfuseDevice.open(device)
    expect(dfu.stats.transfers).toMatchObject({ getstate: 1, abort: 1, getstatus: 1 })
    expect(emu.flashLog).toEqual([])
  })

  it('gives DFU_STATE, with no second CLRSTATUS, when the device is still in dfuERROR after one', async () => {
    const { emu, dfu } = await openBoard()
    // A board that falls back into dfuERROR after every CLRSTATUS.
    const device = emu.device!
    const clrstatus = device.controlTransferOut.bind(device)
    device.controlTransferOut = async (setup, data, timeoutMs) => {
      const result = await clrstatus(setup, data, timeoutMs)
      if (setup.request === 4) emu.faults.setDfuState('dfuERROR')
      return result
    }
    emu.faults.setDfuState('dfuERROR')
    const before = snapshot(dfu.stats)
    const error = await errorOf(dfu.normaliseState())
    expect(error.code).toBe('DFU_STATE')
    expect(delta(before, dfu.stats)).toEqual({ getstate: 1, getstatus: 2, clrstatus: 1 })
  })

  it('a stalled CLRSTATUS is DFU_STALL', async () => {
    const { emu, dfu } = await openBoard()
    emu.faults.setDfuState('dfuERROR')
    emu.faults.stallRequest({ request: 4 })
    expect((await errorOf(dfu.normaliseState())).code).toBe('DFU_STALL')
  })
})

describe('erase, write and read', () => {
  it('round-trips 128 KiB at 0x080A0000 with SET_ADDRESS once (the read-back reuses the pointer) and blocks of 4096', async () => {
    const { emu, dfu } = await openBoard({ allowedRange: SECTOR_9_RANGE })
    const image = pattern(SECTOR_SIZE)
    const outside = [emu.readFlash(0x08080000, SECTOR_SIZE), emu.readFlash(0x080c0000, SECTOR_SIZE)]

    let before = snapshot(dfu.stats)
    expect(await dfu.erase(SECTOR_9 + 0x1234)).toMatchObject({ start: SECTOR_9, end: SECTOR_9 + SECTOR_SIZE })
    expect(delta(before, dfu.stats)).toEqual({ dnload: 1, getstatus: 2 })

    before = snapshot(dfu.stats)
    const progress: Array<[number, number]> = []
    await dfu.write(SECTOR_9, image, (done, total) => progress.push([done, total]))
    expect(delta(before, dfu.stats)).toEqual({ dnload: 33, getstatus: 66 })
    expect(dfu.stats.setAddress - before.setAddress).toBe(1)
    expect(progress).toHaveLength(32)
    expect(progress[0]).toEqual([4096, SECTOR_SIZE])
    expect(progress.at(-1)).toEqual([SECTOR_SIZE, SECTOR_SIZE])
    const programs = emu.flashLog.filter((e) => e.op === 'program')
    expect(programs.map((e) => [e.address, e.length])).toEqual(
      Array.from({ length: 32 }, (_, i) => [SECTOR_9 + i * 4096, 4096]),
    )
    expect(emu.readFlash(SECTOR_9, SECTOR_SIZE)).toEqual(image)

    before = snapshot(dfu.stats)
    const back = await dfu.read(SECTOR_9, SECTOR_SIZE)
    expect(delta(before, dfu.stats)).toEqual({ abort: 2, upload: 32 }) // the pointer is still at the sector: no SET_ADDRESS
    expect(back).toEqual(image)
    expect([emu.readFlash(0x08080000, SECTOR_SIZE), emu.readFlash(0x080c0000, SECTOR_SIZE)]).toEqual(outside)
    expect(emu.flashLog.filter((e) => e.op === 'erase')).toEqual([
      { op: 'erase', address: SECTOR_9, length: SECTOR_SIZE },
    ])
  })

  it("a push's sequence (read the header, erase, write, read back) sends SET_ADDRESS once: the pointer stays at the sector", async () => {
    const { emu, dfu } = await openBoard({ allowedRange: SECTOR_9_RANGE })
    const image = pattern(SECTOR_SIZE, 3)
    await dfu.read(SECTOR_9, 48)
    await dfu.erase(SECTOR_9)
    let before = snapshot(dfu.stats)
    await dfu.write(SECTOR_9, image)
    expect(delta(before, dfu.stats)).toEqual({ dnload: 32, getstatus: 64 })
    before = snapshot(dfu.stats)
    expect(await dfu.read(SECTOR_9, SECTOR_SIZE)).toEqual(image)
    expect(delta(before, dfu.stats)).toEqual({ abort: 2, upload: 32 })
    expect(dfu.stats.setAddress).toBe(1)
    expect(emu.flashLog.filter((e) => e.op === 'program').map((e) => e.address)).toEqual(
      Array.from({ length: 32 }, (_, i) => SECTOR_9 + i * 4096),
    )
    expect(emu.readFlash(SECTOR_9, SECTOR_SIZE)).toEqual(image)
  })

  it('an erase at another address, or any failure, forgets the pointer: the next run sends SET_ADDRESS again', async () => {
    const { emu, dfu } = await openBoard()
    await dfu.read(SECTOR_9 + 0x1000, 16)
    await dfu.erase(SECTOR_9)
    let before = dfu.stats.setAddress
    await dfu.write(SECTOR_9 + 0x1000, pattern(64, 4))
    expect(dfu.stats.setAddress - before).toBe(1)
    expect(emu.readFlash(SECTOR_9 + 0x1000, 64)).toEqual(pattern(64, 4))
    emu.faults.failNextWrite()
    expect((await errorOf(dfu.write(SECTOR_9 + 0x1000, pattern(64, 5)))).code).toBe('DFU_WRITE_FAILED')
    await dfu.erase(SECTOR_9)
    before = dfu.stats.setAddress
    await dfu.write(SECTOR_9 + 0x1000, pattern(64, 5))
    expect(dfu.stats.setAddress - before).toBe(1)
    expect(emu.readFlash(SECTOR_9 + 0x1000, 64)).toEqual(pattern(64, 5))
  })

  it('writes and reads an unaligned tail: the last block and upload are only what is left', async () => {
    const { emu, dfu } = await openBoard()
    const data = pattern(2 * 4096 + 1003, 7)
    await dfu.erase(SECTOR_9)
    await dfu.write(SECTOR_9 + 8, data)
    expect(emu.flashLog.filter((e) => e.op === 'program').map((e) => [e.address, e.length])).toEqual([
      [SECTOR_9 + 8, 4096],
      [SECTOR_9 + 8 + 4096, 4096],
      [SECTOR_9 + 8 + 8192, 1004],
    ])
    expect(emu.readFlash(SECTOR_9 + 8, data.length + 8)).toEqual(
      Uint8Array.of(...data, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    )
    const before = snapshot(dfu.stats)
    expect(await dfu.read(SECTOR_9 + 8, data.length)).toEqual(data)
    expect(dfu.stats.bytesIn - before.bytesIn).toBe(data.length) // no SET_ADDRESS (and its status requests): the write left the pointer there
    expect(dfu.stats.transfers.upload - before.transfers.upload).toBe(3)
  })

  it('reads the protected sectors (reads are not guarded) and leaves the device idle', async () => {
    const { emu, dfu } = await openBoard()
    expect(await dfu.read(0x08000000, 100)).toEqual(emu.readFlash(0x08000000, 100))
    expect((await dfu.getStatus()).state).toBe(DfuState.dfuIDLE)
  })

  it('uses a new SET_ADDRESS for each write call, and back-to-back reads and writes need no extra requests', async () => {
    const { emu, dfu } = await openBoard()
    await dfu.erase(SECTOR_9)
    await dfu.write(SECTOR_9, pattern(100, 1))
    await dfu.write(SECTOR_9 + 0x1000, pattern(100, 2))
    expect(await dfu.read(SECTOR_9, 100)).toEqual(pattern(100, 1))
    await dfu.write(SECTOR_9 + 0x2000, pattern(100, 3))
    expect(await dfu.read(SECTOR_9 + 0x1000, 0x1064)).toEqual(emu.readFlash(SECTOR_9 + 0x1000, 0x1064))
    expect(dfu.stats.setAddress).toBe(5)
  })
})

describe('failures', () => {
  it('a failed erase (stalled status) is DFU_ERASE_FAILED with the address, and a retry succeeds', async () => {
    const { emu, dfu } = await openBoard()
    emu.faults.failNextErase()
    const error = await errorOf(dfu.erase(SECTOR_9))
    expect(error.code).toBe('DFU_ERASE_FAILED')
    expect(error.message).toContain('0x080A0000')
    expect(error.details).toMatchObject({ address: SECTOR_9 })
    expect((await dfu.getStatus()).state).toBe(DfuState.dfuIDLE)
    await dfu.erase(SECTOR_9)
    expect(emu.flashLog).toEqual([{ op: 'erase', address: SECTOR_9, length: SECTOR_SIZE }])
  })

  it('a failed write is DFU_WRITE_FAILED with the block address, and a retry succeeds', async () => {
    const { emu, dfu } = await openBoard()
    await dfu.erase(SECTOR_9)
    const data = pattern(3 * 4096)
    await dfu.write(SECTOR_9, data.subarray(0, 4096))
    emu.faults.failNextWrite()
    const error = await errorOf(dfu.write(SECTOR_9 + 4096, data.subarray(4096)))
    expect(error).toMatchObject({ code: 'DFU_WRITE_FAILED', details: { address: SECTOR_9 + 4096 } })
    expect((await dfu.getStatus()).state).toBe(DfuState.dfuIDLE)
    await dfu.write(SECTOR_9 + 4096, data.subarray(4096))
    expect(emu.readFlash(SECTOR_9, data.length)).toEqual(data)
  })

  it('writing over unerased data fails verify on the device: DFU_WRITE_FAILED', async () => {
    const { dfu } = await openBoard()
    await dfu.erase(SECTOR_9)
    await dfu.write(SECTOR_9, Uint8Array.of(0x00, 0x00, 0x00, 0x00))
    const error = await errorOf(dfu.write(SECTOR_9, Uint8Array.of(0xff, 0xff, 0xff, 0xff)))
    expect(error.code).toBe('DFU_WRITE_FAILED')
  })

  it('a stalled status after a block, with the block still pending, aborts it rather than running it', async () => {
    const { emu, dfu } = await openBoard()
    await dfu.erase(SECTOR_9)
    emu.faults.stallRequest({ request: GETSTATUS, occurrence: 3 }) // SET_ADDRESS takes two
    const error = await errorOf(dfu.write(SECTOR_9, pattern(8192)))
    expect(error).toMatchObject({ code: 'DFU_WRITE_FAILED', details: { address: SECTOR_9 } })
    expect(emu.readFlash(SECTOR_9, 8192).every((b) => b === 0xff)).toBe(true)
    expect(emu.flashLog.filter((e) => e.op === 'program')).toEqual([])
  })

  it('a stalled DNLOAD is DFU_STALL, and the next operation works', async () => {
    const { emu, dfu } = await openBoard()
    emu.faults.stallRequest({ request: DNLOAD, occurrence: 2 })
    await dfu.erase(SECTOR_9)
    const error = await errorOf(dfu.write(SECTOR_9, pattern(64)))
    expect(error.code).toBe('DFU_STALL')
    await dfu.write(SECTOR_9, pattern(64))
    expect(emu.readFlash(SECTOR_9, 64)).toEqual(pattern(64))
  })

  it('a stalled UPLOAD is DFU_STALL', async () => {
    const { emu, dfu } = await openBoard()
    emu.faults.stallRequest({ request: 2 })
    expect((await errorOf(dfu.read(SECTOR_9, 16))).code).toBe('DFU_STALL')
    expect(await dfu.read(SECTOR_9, 16)).toEqual(emu.readFlash(SECTOR_9, 16))
  })

  it.each(['erase', 'write', 'upload'] as const)('a disconnect during %s is DISCONNECTED', async (op) => {
    const { emu, dfu } = await openBoard()
    emu.faults.disconnectDuring(op, { after: op === 'erase' ? 0 : 1 })
    const run =
      op === 'upload'
        ? dfu.read(SECTOR_9, 3 * 4096)
        : op === 'erase'
          ? dfu.erase(SECTOR_9)
          : dfu.write(SECTOR_9, pattern(3 * 4096))
    const error = await errorOf(run)
    expect(error.code).toBe('DISCONNECTED')
    expect(error.message).toMatch(/device disconnected/)
    await dfu.close()
  })

  it.each([
    ['DNLOAD', DNLOAD],
    ['GETSTATUS', GETSTATUS],
  ])(
    'a %s the device never answers is TIMEOUT after the configured control-transfer timeout',
    async (_name, request) => {
      const { emu, dfu } = await openBoard({ timeoutMs: 40 })
      emu.faults.neverAnswer({ request })
      const error = await errorOf(dfu.erase(SECTOR_9))
      expect(error.code).toBe('TIMEOUT')
      expect(error.message).toMatch(/after 40 ms/)
    },
  )
})

describe('address guard', () => {
  const cases: Array<[string, DfuseOpenOptions, (dfu: DfuseDevice) => Promise<unknown>, RegExp]> = [
    [
      'erase past the allowed range',
      { allowedRange: SECTOR_9_RANGE },
      (dfu) => dfu.erase(0x080c0000),
      /outside the allowed range/,
    ],
    [
      'write starting before it',
      { allowedRange: SECTOR_9_RANGE },
      (dfu) => dfu.write(SECTOR_9 - 1, new Uint8Array(2)),
      /outside the allowed range/,
    ],
    [
      'write running past its end',
      { allowedRange: SECTOR_9_RANGE },
      (dfu) => dfu.write(0x080bffff, new Uint8Array(2)),
      /outside the allowed range/,
    ],
    // Ranges are shown by their first and last byte and their length, so an exclusive end is never mistaken for the last byte.
    [
      'a sector and one byte',
      { allowedRange: SECTOR_9_RANGE },
      (dfu) => dfu.write(SECTOR_9, new Uint8Array(0x20001)),
      /^Refusing to write 0x080A0000-0x080C0000 \(131,073 bytes\): outside the allowed range 0x080A0000-0x080BFFFF \(131,072 bytes\)$/,
    ],
    ['erase below 0x08020000', {}, (dfu) => dfu.erase(0x08010000), /below 0x08020000/],
    ['write below 0x08020000', {}, (dfu) => dfu.write(0x0801fffc, new Uint8Array(8)), /below 0x08020000/],
    [
      'a range allowing low sectors, on an Electron',
      { allowedRange: { start: 0x08000000, end: 0x08100000 } },
      (dfu) => dfu.erase(0x0800c000),
      /not erasable on this device/,
    ],
    [
      'write past the end of flash',
      {},
      (dfu) => dfu.write(0x080ffff0, new Uint8Array(32)),
      /0x08100000 is not in the memory layout/,
    ],
    ['a negative address', {}, (dfu) => dfu.write(-4, new Uint8Array(4)), /not a valid 32-bit address range/],
  ]
  it.each(cases)('refuses %s with no USB traffic', async (_name, options, run, message) => {
    const { emu, dfu } = await openBoard(options)
    const before = snapshot(dfu.stats)
    const error = await errorOf(run(dfu))
    expect(error.code).toBe('ADDRESS_REFUSED')
    expect(error.message).toMatch(message)
    expect(dfu.stats).toEqual(before)
    expect(emu.flashLog).toEqual([])
  })

  it('allows alt 1 (DCT) writes at offset 0', async () => {
    const { emu, dfu } = await openBoard({ alt: 1 })
    allowWritesOutsideDataSector(emu)
    await dfu.write(34, Uint8Array.of(1, 2, 3, 4))
    expect(emu.readFlash(0x08004000 + 34, 4)).toEqual(Uint8Array.of(1, 2, 3, 4))
  })
})

describe('leave and close', () => {
  it('leave: zero-length DNLOAD and one GETSTATUS reporting dfuDNLOAD-IDLE; then the board resets', async () => {
    const { emu, dfu } = await openBoard()
    await dfu.erase(SECTOR_9)
    await dfu.write(SECTOR_9, pattern(16))
    const gone = new Promise((resolve) => emu.onDeviceChange((device) => device === null && resolve(true)))
    const before = snapshot(dfu.stats)
    expect(await dfu.leave()).toEqual({ state: DfuState.dfuDNLOAD_IDLE })
    expect(delta(before, dfu.stats)).toEqual({ abort: 1, dnload: 1, getstatus: 1 })
    expect(await gone).toBe(true)
    await dfu.close()
  })

  it('leave counts a disconnect before the status request answers as success', async () => {
    const { emu, dfu } = await openBoard()
    emu.faults.neverAnswer({ request: GETSTATUS, occurrence: 1 })
    const leaving = dfu.leave()
    setTimeout(() => emu.unplug(), 10)
    expect(await leaving).toEqual({ state: null })
    await dfu.close()
  })

  it('close releases the interface and closes the device', async () => {
    const { emu, dfu } = await openBoard()
    await dfu.close()
    expect(emu.device!.opened).toBe(false)
  })
})
