import { describe, expect, it } from 'vitest'
import { buildImage, EmulatedElectron, runJig, type JigRecord, type JobEvent } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'
import { bench, flashOps, sectorBytes } from '../helpers/emulator.js'

const image = buildImage([{ name: 'cal.bin', data: pseudoRandomBytes(20_000, 5), mtime: 3 }], { epoch: 33 })
const later = (ms: number, fn: () => void) => setTimeout(fn, ms)
const erases = (board: EmulatedElectron) => flashOps(board).filter((op) => op.startsWith('erase')).length

describe('jig station', () => {
  it('flashes 8 boards at once, then boards arriving over time, and records faults without stopping', async () => {
    const { bus, boards } = bench(
      ...Array.from({ length: 8 }, (_, i) => ({ mode: i % 2 ? ('dfu' as const) : ('firmware' as const) })),
    )
    const photon = new EmulatedElectron({ timing: 'instant', platform: 'photon', mode: 'dfu' })
    const vanishing = new EmulatedElectron({ timing: 'instant', mode: 'firmware' })
    vanishing.faults.vanishAfterDfuSwitch()
    const unplugged = new EmulatedElectron({ timing: 'instant', mode: 'dfu' })
    unplugged.faults.disconnectDuring('write', { after: 2 })
    const latecomer = new EmulatedElectron({ timing: 'instant', mode: 'firmware' })
    later(100, () => bus.attach(photon))
    later(150, () => bus.attach(vanishing))
    later(200, () => bus.attach(unplugged))
    later(1100, () => bus.attach(latecomer))

    const records: JigRecord[] = []
    const events: JobEvent[] = []
    let maxActive = 0
    let active = 0
    const summary = await runJig({
      // Timeouts far above what these instant-timing boards need, so that a loaded
      // machine cannot turn a slow switch or re-enumeration into a failure.
      bus,
      image,
      idleTimeoutMs: 800,
      dfuTimeoutMs: 4000,
      reappearTimeoutMs: 10_000,
      onRecord: (r) => {
        records.push(r)
        // The operator plugs it back in once the station has reported it (a fixed delay raced a loaded machine).
        if (r.serial === unplugged.serialNumber && r.error?.code === 'DISCONNECTED') unplugged.plugIn()
      },
      onEvent: (e) => {
        events.push(e)
        if (e.type === 'board-attached') maxActive = Math.max(maxActive, ++active)
        if (e.type === 'board-done') active--
      },
    })

    const bySerial = (board: EmulatedElectron) =>
      records
        .filter((r) => r.serial === board.serialNumber)
        .map((r) => (r.outcome === 'failed' ? r.error?.code : r.outcome))
    for (const board of [...boards, latecomer]) {
      expect(bySerial(board), board.serialNumber).toEqual(['flashed'])
      expect(sectorBytes(board, image.length)).toEqual(image)
      expect(erases(board)).toBe(1) // flashed once, although it stayed plugged in
    }
    expect(bySerial(photon)).toEqual(['WRONG_DEVICE'])
    expect(bySerial(vanishing)).toEqual(['DFU_MODE_TIMEOUT'])
    expect(bySerial(unplugged)).toEqual(['DISCONNECTED', 'flashed'])
    expect(sectorBytes(unplugged, image.length)).toEqual(image)
    expect(maxActive).toBeGreaterThanOrEqual(8)
    // Boards, each by its last attempt: the one unplugged mid-write was flashed on its second.
    expect(summary).toMatchObject({
      boards: 12,
      attempts: 13,
      flashed: 10,
      unchanged: 0,
      failed: 2,
      stoppedBy: 'timeout',
    })
    const torn = records.find((r) => r.error?.code === 'DISCONNECTED')!
    expect(torn.failedPhase).toBe('write')
    expect(Object.keys(torn.phases)).toEqual(expect.arrayContaining(['connect', 'compare', 'erase']))
    expect(torn.phases.write).toBeUndefined()
    expect(summary.records).toEqual(records)
    for (const r of records) {
      expect(r).toMatchObject({ imageCrc: new DataView(image.buffer).getUint32(16, true), imageSize: image.length })
      expect(Date.parse(r.endedAt)).toBeGreaterThanOrEqual(Date.parse(r.startedAt))
    }
    const flashed = records.find((r) => r.outcome === 'flashed')!
    expect(Object.keys(flashed.phases)).toEqual(
      expect.arrayContaining(['connect', 'compare', 'erase', 'write', 'verify', 'leave']),
    )
    // Every event of a board carries its serial.
    expect(events.filter((e) => e.type !== 'message').every((e) => 'serial' in e && e.serial)).toBe(true)
  })

  it('handles a board again after it is unplugged and plugged back in', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const records: JigRecord[] = []
    later(500, () => {
      bus.detach(board)
      later(100, () => bus.attach(board))
    })
    await runJig({
      bus,
      image,
      idleTimeoutMs: 1000,
      onRecord: (r) => {
        records.push(r)
      },
    })
    expect(records.map((r) => r.outcome)).toEqual(['flashed', 'unchanged'])
  })

  it('stops after --count boards', async () => {
    const { bus } = bench({ mode: 'dfu' }, { mode: 'dfu' }, { mode: 'dfu' })
    const summary = await runJig({ bus, image, count: 2 })
    expect(summary).toMatchObject({ boards: 2, stoppedBy: 'count' })
  })

  it('on a stop signal takes no new board but finishes those in progress', async () => {
    const { bus, boards } = bench({ mode: 'firmware' }, { mode: 'firmware' })
    const stop = new AbortController()
    const summary = await runJig({
      bus,
      image,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === 'board-attached') stop.abort()
      },
    })
    expect(summary.stoppedBy).toBe('signal')
    expect(summary.records.map((r) => r.outcome)).toEqual(summary.records.map(() => 'flashed'))
    const flashedBoards = boards.filter((b) => erases(b) === 1)
    expect(flashedBoards.length).toBe(summary.boards)
  })

  it('while paused takes no new board (each announced once as waiting) and does not time out; on resume flashes them', async () => {
    const { bus, boards } = bench({ mode: 'dfu' }, { mode: 'dfu' })
    let paused = true
    const waiting: string[] = []
    // Resumes after 20 looks at the bus, far longer than the idle timeout, with nothing touched until then.
    let scans = 0
    const list = bus.getDevices.bind(bus)
    bus.getDevices = async () => {
      if (++scans === 20) {
        expect(boards.map(erases)).toEqual([0, 0])
        paused = false
      }
      return list()
    }
    const summary = await runJig({
      bus,
      image,
      idleTimeoutMs: 1,
      pollMs: 5,
      paused: () => paused,
      onEvent: (e) => {
        if (e.type === 'board-waiting') waiting.push(e.serial)
      },
    })
    expect(scans).toBeGreaterThanOrEqual(20)
    expect(waiting.sort()).toEqual(boards.map((b) => b.serialNumber).sort())
    expect(summary).toMatchObject({ boards: 2, flashed: 2, stoppedBy: 'timeout' })
    expect(boards.map(erases)).toEqual([1, 1])
  })
})
