// Shared pieces of the benchmark: repeated runs with median/min/max, test
// images, fresh emulated boards, a control-transfer counter on a device, and
// the model's cost of what was actually sent (from the emulator's own timing
// functions, so no constant is typed twice).
import {
  buildImage,
  DATA_SECTOR,
  DATA_SECTOR_SIZE,
  DATASHEET_TIMING,
  EmulatedElectron,
  EmulatedUsb,
} from '../../dist/index.js'
import { programMs, sectorEraseMs, usbTransferMs } from '../../dist/emulator/timing.js'

export const TIMING = DATASHEET_TIMING
export const ADDRESS = DATA_SECTOR.start
const KIND_NAMES = { 0: 'detach', 1: 'dnload', 2: 'upload', 3: 'getstatus', 4: 'clrstatus', 5: 'getstate', 6: 'abort' }
// biome-ignore lint/complexity/useSimpleNumberKeys: the DfuSe command bytes as the specification writes them
const DFUSE_COMMANDS = { 0x21: 'setAddress', 0x41: 'erase' }
const GET_DESCRIPTOR = 6

/** { median, min, max, n } of a list of numbers, rounded to 0.1. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  const round = (x) => Math.round(x * 10) / 10
  return { median: round(median), min: round(sorted[0]), max: round(sorted.at(-1)), n: sorted.length }
}

/** Runs `once(i)` `runs` times in sequence; each returns { ms, ...extra }. Returns the summary and the run closest to the median. */
export async function repeat(runs, once) {
  const results = []
  for (let i = 0; i < runs; i++) results.push(await once(i))
  const stats = summarize(results.map((r) => r.ms))
  const typical = results.reduce((best, r) =>
    Math.abs(r.ms - stats.median) < Math.abs(best.ms - stats.median) ? r : best,
  )
  return { ...stats, typical }
}

/** A valid image of exactly `size` bytes: one file of pseudo-random (incompressible, never all-0xFF) bytes. */
export function makeImage(size, seed = 1) {
  const overhead = buildImage([{ name: 'blob.bin', data: new Uint8Array(0), mtime: 1_700_000_000 }], {
    epoch: 1_700_000_000,
  }).length
  const data = new Uint8Array(size - overhead)
  let x = seed
  for (let i = 0; i < data.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    data[i] = x >>> 24
  }
  const image = buildImage([{ name: 'blob.bin', data, mtime: 1_700_000_000 }], { epoch: 1_700_000_000 })
  if (image.length !== size) throw new Error(`test image is ${image.length} bytes, wanted ${size}`)
  return image
}

/** `count` factory-fresh boards in DFU mode with datasheet timing, attached to one new bus. */
export function freshBoards(count, options = {}) {
  const bus = new EmulatedUsb()
  const boards = Array.from(
    { length: count },
    () => new EmulatedElectron({ timing: 'datasheet', mode: 'dfu', ...options }),
  )
  for (const board of boards) bus.attach(board)
  return {
    bus,
    boards,
    close: () => {
      for (const b of boards) b.close()
    },
  }
}

/**
 * Wraps `device.controlTransferIn/Out` to count every control transfer by
 * kind (DfuSe SET_ADDRESS and ERASE apart from data DNLOADs) and to add up
 * the model's wire time for each (an IN transfer is charged for the length
 * asked, as the emulator does). SET_CONFIGURATION/SET_INTERFACE go through
 * other methods and are not counted (both hosts send the same ones).
 */
export function countTransfers(device) {
  const counts = { total: 0, busMs: 0, bytesOut: 0, bytesIn: 0, byKind: {} }
  const note = (setup, dataBytes, out, data) => {
    let kind = setup.requestType === 'class' ? (KIND_NAMES[setup.request] ?? 'class-other') : 'other'
    if (setup.requestType === 'standard' && setup.request === GET_DESCRIPTOR) kind = 'descriptor'
    if (kind === 'dnload' && setup.value === 0 && dataBytes > 0) kind = DFUSE_COMMANDS[data[0]] ?? 'dfuseCommand'
    counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1
    counts.total++
    counts.busMs += usbTransferMs(TIMING, dataBytes)
    counts[out ? 'bytesOut' : 'bytesIn'] += dataBytes
  }
  const transferIn = device.controlTransferIn.bind(device)
  const transferOut = device.controlTransferOut.bind(device)
  device.controlTransferIn = (setup, length, timeout) => {
    note(setup, length, false)
    return transferIn(setup, length, timeout)
  }
  device.controlTransferOut = (setup, data, timeout) => {
    const bytes =
      data === undefined
        ? new Uint8Array(0)
        : new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength)
    note(setup, bytes.length, true, bytes)
    return transferOut(setup, data, timeout)
  }
  return counts
}

/** Modelled flash time of what a board's flash log shows (erases and programs since `from`). */
export function flashMs(board, from = 0) {
  return board.flashLog
    .slice(from)
    .reduce((ms, e) => ms + (e.op === 'erase' ? sectorEraseMs(TIMING, e.length) : programMs(TIMING, e.length)), 0)
}

/**
 * The modelled floor for writing `bytes` into the data sector: one sector
 * erase, programming time, and the bytes' packets on EP0 for the write and
 * for the read-back, with no per-transfer or host cost.
 */
export function floorFor(bytes) {
  const packetsOnly = { ...TIMING, usbTransferOverheadUs: 0 }
  const eraseMs = sectorEraseMs(TIMING, DATA_SECTOR_SIZE)
  const program = programMs(TIMING, bytes)
  const wire = usbTransferMs(packetsOnly, bytes)
  return { ms: eraseMs + program + 2 * wire, eraseMs, programMs: program, writeBusMs: wire, readBusMs: wire }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
