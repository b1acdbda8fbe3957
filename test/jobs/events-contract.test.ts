/**
 * The events contract of src/jobs/events.ts, on emulated boards: each phase
 * is phase-start, progress, then phase-end or phase-failed; totals are never
 * faked; a sink that throws does not stop the work; every event is in the schema.
 */
import { describe, expect, it } from 'vitest'
import { buildImage, type FlashdataError, push, verify, type JobEvent } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'
import { bench, sectorBytes } from '../helpers/emulator.js'
import { expectInSchema } from '../helpers/schema.js'

const image = buildImage([{ name: 'blob.bin', data: pseudoRandomBytes(30_000, 5), mtime: 1 }], { epoch: 3 })

/** The phase events in order, checked against the contract: every start closed by its own end or failure. */
function phaseRuns(events: JobEvent[]): string[] {
  const runs: string[] = []
  let open: string | undefined
  for (const event of events) {
    expectInSchema({ ...event, time: new Date().toISOString() }, `${event.type} event`)
    if (event.type === 'phase-start') {
      expect(open, `${event.phase} starts inside ${open}`).toBeUndefined()
      open = event.phase
    } else if (event.type === 'progress') expect(event.phase).toBe(open)
    else if (event.type === 'phase-end' || event.type === 'phase-failed') {
      expect(event.phase).toBe(open)
      runs.push(event.type === 'phase-end' ? event.phase : `${event.phase} failed ${event.code}`)
      open = undefined
    }
  }
  expect(open, 'a phase left open').toBeUndefined()
  return runs
}

/** A sink that keeps the events and arms a failed block write once a write phase has moved its first bytes: a failure mid-sector. */
function failMidWrite(board: { faults: { failNextWrite(): void } }, times: number, events: JobEvent[]) {
  let armed = 0
  let inWrite = false
  return (event: JobEvent) => {
    events.push(event)
    if (event.type === 'phase-start') inWrite = event.phase === 'write'
    if (event.type === 'progress' && inWrite && armed < times) {
      armed++
      inWrite = false
      board.faults.failNextWrite()
    }
  }
}

describe('job events', () => {
  it('a write that fails mid-sector ends with phase-failed and its code, then the phases run again', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const events: JobEvent[] = []
    const result = await push({ bus, image, leave: false, onEvent: failMidWrite(board, 1, events) })
    expect(result.retried).toBe(true)
    const failed = events.find((e) => e.type === 'phase-failed')
    expect(failed).toMatchObject({ phase: 'write', code: 'DFU_WRITE_FAILED', serial: board.serialNumber })
    expect((failed as { bytes: number }).bytes).toBeGreaterThan(0)
    expect(phaseRuns(events)).toEqual([
      'connect',
      'compare',
      'erase',
      'write failed DFU_WRITE_FAILED',
      'erase',
      'write',
      'verify',
    ])
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('a push whose write fails twice ends its events with phase-failed for write', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const events: JobEvent[] = []
    const onEvent = failMidWrite(board, 2, events)
    const error = await push({ bus, image, leave: false, onEvent }).catch((e: unknown) => e)
    expect((error as FlashdataError).code).toBe('DFU_WRITE_FAILED')
    expect(phaseRuns(events).slice(-2)).toEqual(['erase', 'write failed DFU_WRITE_FAILED'])
  })

  it('the read phase reports its real total, never the bytes so far as a total', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    await push({ bus, image, leave: false })
    const events: JobEvent[] = []
    expect((await verify({ bus, expected: image, onEvent: (e) => events.push(e) })).status).toBe('match')
    expect(phaseRuns(events)).toContain('read')
    const reads = events.filter((e) => e.type === 'progress' && e.phase === 'read') as Extract<
      JobEvent,
      { type: 'progress' }
    >[]
    expect(reads.length).toBeGreaterThan(1)
    for (const e of reads) expect(e.totalBytes).toBe(image.length)
    expect(reads.slice(0, -1).every((e) => e.bytes < image.length)).toBe(true)
    expect(sectorBytes(board, image.length)).toEqual(image)
  })

  it('a sink that throws on the first progress event does not stop the push, and is reported once', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const events: JobEvent[] = []
    let thrown = 0
    const result = await push({
      bus,
      image,
      leave: false,
      onEvent: (e) => {
        events.push(e)
        if (e.type === 'progress' && thrown++ === 0) throw new Error('listener broke')
      },
    })
    expect(result.status).toBe('flashed')
    const notices = events.filter((e) => e.type === 'message' && e.message.includes('listener broke'))
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatchObject({ level: 'warning' })
    expect((await verify({ bus, expected: image })).status).toBe('match')
    expect(sectorBytes(board, image.length)).toEqual(image)
  })
})
