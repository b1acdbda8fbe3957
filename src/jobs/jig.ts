import { FlashdataError } from '../errors.js'
import { normalizeSerial, type Board } from '../device/board.js'
import { listBoards, sleep, waitForBoard } from '../device/wait.js'
import { readImage } from '../image/parse.js'
import type { UsbBusLike, UsbConnectionEvent } from '../usb/types.js'
import type { EventSink, JobEvent, Phase, PhaseTimes } from './events.js'
import { push } from './push.js'

export interface JigRecord {
  serial: string
  startedAt: string
  endedAt: string
  durationMs: number
  imageCrc: number
  imageSize: number
  /** Time spent in each phase that completed (for a failed board too). */
  phases: PhaseTimes
  outcome: 'flashed' | 'unchanged' | 'failed'
  /** The phase a failed board failed in (the last one begun). */
  failedPhase?: Phase
  error?: { code: string; message: string }
}

/** Counts are of boards, each by its last attempt: a board that failed and then passed on a replug passed. */
export interface JigSummary {
  boards: number
  /** Attempts, retries of a board included (one record each). */
  attempts: number
  passed: number
  unchanged: number
  failed: number
  averageMs: number
  records: JigRecord[]
  /** Why the station stopped. */
  stoppedBy: 'count' | 'timeout' | 'signal'
}

export interface JigOptions {
  bus: UsbBusLike
  image: Uint8Array
  /** Stop after this many boards (failed ones included; a retry of the same board does not count again). */
  count?: number
  /** Stop when no board has arrived or been in progress for this long. */
  idleTimeoutMs?: number
  /** Abort: stop taking new boards, finish the ones in progress. */
  signal?: AbortSignal
  /** How long a switched board may take to come back in DFU mode. */
  dfuTimeoutMs?: number
  /** How long a released board may take to re-enumerate before it counts as unplugged. */
  reappearTimeoutMs?: number
  force?: boolean
  /** Called with each record as soon as its board is done (write it to the log here). */
  onRecord?: (record: JigRecord) => Promise<void> | void
  onEvent?: EventSink
  pollMs?: number
}

/**
 * The bench station: flashes every board that arrives, several at once,
 * never the same board twice while it stays plugged in, and keeps going
 * whatever one board does. Unplugging a board and plugging it back flashes
 * it again.
 */
export async function runJig(options: JigOptions): Promise<JigSummary> {
  const listing = readImage(options.image)
  const crc = listing.header!.crc
  const records: JigRecord[] = []
  const active = new Map<string, Promise<void>>()
  /** Boards handled since they were plugged in: not flashed again until they leave the bus. */
  const handled = new Set<string>()
  /** Every board taken so far, for --count: a retry of the same board is not another board. */
  const counted = new Set<string>()
  let lastActivity = Date.now()
  const emit = options.onEvent ?? (() => {})

  const flashOne = async (board: Board): Promise<void> => {
    const serial = board.info.serial
    const startedAt = new Date()
    // The phases completed and the last one begun (under way, or the one whose result was refused, such as
    // a Photon found by connect), so a failed record says how far the board got.
    const phases: PhaseTimes = {}
    let current: Phase | undefined
    const track = (e: JobEvent) => {
      if (e.type === 'phase-start') current = e.phase
      if (e.type === 'phase-end') phases[e.phase] = (phases[e.phase] ?? 0) + e.elapsedMs
      emit({ ...e, serial })
    }
    let record: JigRecord
    try {
      const result = await push({
        bus: options.bus, image: options.image, serial, force: options.force, dfuTimeoutMs: options.dfuTimeoutMs, untilGone: true,
        onEvent: track,
      })
      record = { serial, startedAt: startedAt.toISOString(), endedAt: '', durationMs: 0, imageCrc: crc, imageSize: options.image.length, phases: result.phases, outcome: result.status }
      // Released: wait for it to re-enumerate, so the reset is not taken for an unplug.
      await waitForBoard(options.bus, (b) => b.info.serial === serial, options.reappearTimeoutMs ?? 15_000)
    } catch (error) {
      const e = error instanceof FlashdataError ? error : new FlashdataError('INTERNAL', (error as Error).message)
      record = { serial, startedAt: startedAt.toISOString(), endedAt: '', durationMs: 0, imageCrc: crc, imageSize: options.image.length, phases, outcome: 'failed', failedPhase: current, error: { code: e.code, message: e.message } }
    }
    const ended = new Date()
    record = { ...record, endedAt: ended.toISOString(), durationMs: ended.getTime() - startedAt.getTime() }
    records.push(record)
    await options.onRecord?.(record)
    emit({ type: 'board-done', serial, record })
    lastActivity = Date.now()
  }

  const full = () => options.count !== undefined && counted.size >= options.count
  const stopReason = (): JigSummary['stoppedBy'] | undefined => {
    if (options.signal?.aborted) return 'signal'
    if (full()) return 'count'
    if (options.idleTimeoutMs !== undefined && active.size === 0 && Date.now() - lastActivity >= options.idleTimeoutMs) return 'timeout'
    return undefined
  }

  /** One look at the bus: forget boards that left, start every new one. */
  const scan = async (): Promise<void> => {
    const present = await listBoards(options.bus)
    const serials = new Set(present.map((b) => b.info.serial))
    for (const serial of handled) if (!serials.has(serial) && !active.has(serial)) handled.delete(serial)
    for (const board of present) {
      const serial = board.info.serial
      if (!serial || handled.has(serial) || active.has(serial) || full()) continue
      handled.add(serial)
      counted.add(serial)
      lastActivity = Date.now()
      emit({ type: 'board-attached', serial, mode: board.info.mode, platform: board.info.platform })
      active.set(serial, flashOne(board).finally(() => active.delete(serial)))
    }
  }

  // A quick unplug and replug can fall between two scans: the disconnect event still tells.
  const onDisconnect = ({ device }: UsbConnectionEvent) => {
    const serial = normalizeSerial(device.serialNumber)
    if (!active.has(serial)) handled.delete(serial)
  }
  options.bus.addEventListener('disconnect', onDisconnect)
  emit({ type: 'message', level: 'info', message: `Station ready: waiting for boards (image ${options.image.length} bytes, ${listing.files.length} files).` })
  let stoppedBy: JigSummary['stoppedBy'] | undefined
  try {
    while (!(stoppedBy = stopReason())) {
      await scan()
      await Promise.race([sleep(options.pollMs ?? 200, options.signal), ...active.values()])
    }
  } finally {
    options.bus.removeEventListener('disconnect', onDisconnect)
  }
  await Promise.all(active.values())
  const boards = lastAttempts(records)
  const passed = boards.filter((r) => r.outcome !== 'failed').length
  return {
    boards: boards.length,
    attempts: records.length,
    passed,
    unchanged: boards.filter((r) => r.outcome === 'unchanged').length,
    failed: boards.length - passed,
    averageMs: records.length ? Math.round(records.reduce((sum, r) => sum + r.durationMs, 0) / records.length) : 0,
    records,
    stoppedBy,
  }
}

/** Each board's last record, in the order the boards were first seen. */
export function lastAttempts(records: JigRecord[]): JigRecord[] {
  const last = new Map<string, JigRecord>()
  for (const record of records) last.set(record.serial, record)
  return [...last.values()]
}
