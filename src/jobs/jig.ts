import { FlashdataError } from '../errors.js'
import { normalizeSerial, type Board, type BoardInfo } from '../device/board.js'
import { listBoards, sleep, waitForBoard } from '../device/wait.js'
import { readImage } from '../image/parse.js'
import type { UsbBusLike, UsbConnectionEvent } from '../usb/types.js'
import type { EventSink, JobEvent, Phase, PhaseTimes } from './events.js'
import type { SectorContents } from '../image/sector.js'
import { sha256Hex } from '../image/sha256.js'
import { push, type ForeignData } from './push.js'

/** Facts about the station, the same in every record. */
export interface StationStamp {
  station?: string
  host?: string
  version?: string
  /** SHA-256 of the job file the station runs. */
  jobSha256?: string
}

/** Where a board's own data came from: names and row numbers, never contents. */
export interface ProvisionFacts {
  overlay?: { folder: string; files: string[] }
  pool?: { row: number; files: string[]; reused: boolean }
  generated?: { files: string[]; exitCode: number; output: string; durationMs: number }
}

export interface JigRecord extends StationStamp {
  serial: string
  /** USB port path of the board ("1-1.4"), and the slot name the station maps it to. */
  port?: string
  slot?: string
  startedAt: string
  endedAt: string
  durationMs: number
  imageCrc?: number
  imageSize?: number
  imageSha256?: string
  provision?: ProvisionFacts
  /** What the sector held before, when it was someone else's data, and where it was saved. */
  foreign?: { contents: SectorContents; backup?: string }
  /** Time spent in each phase that completed (for a failed board too). */
  phases: PhaseTimes
  outcome: 'flashed' | 'unchanged' | 'failed'
  /** The phase a failed board failed in (the last one begun). */
  failedPhase?: Phase
  error?: { code: string; message: string; hint?: string }
}

/** One board's image, prepared when the board arrives and before any traffic to it. */
export interface BoardPlan {
  image: Uint8Array
  provision?: ProvisionFacts
  /** Called once the board holds its image, read back and verified (a pool row is committed here). */
  commit?: () => Promise<void>
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
  stoppedBy: 'count' | 'timeout' | 'signal' | 'pool-exhausted'
}

export interface JigOptions {
  bus: UsbBusLike
  /** The image for every board (checked once), unless `prepare` builds one per board. */
  image?: Uint8Array
  /**
   * Builds and checks a board's own image from its serial. A throw fails that
   * board untouched; POOL_EXHAUSTED also stops the station taking boards.
   */
  prepare?: (board: BoardInfo) => Promise<BoardPlan>
  /** Port path -> slot name, so the operator knows which physical board it is. */
  slots?: Record<string, string>
  stamp?: StationStamp
  /** Foreign data in a sector: saved by this and overwritten; without it such a board fails untouched. */
  onForeign?: (found: ForeignData) => Promise<string>
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
  const common = options.image
  if (!common && !options.prepare) throw new FlashdataError('BAD_OPTION', 'The jig needs an image or a way to prepare one per board.')
  const listing = common ? readImage(common) : undefined
  const plan = options.prepare ?? (async (): Promise<BoardPlan> => ({ image: common! }))
  let exhausted = false
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
    const port = board.info.path
    // The phases completed and the last one begun (under way, or the one whose result was refused, such as
    // a Photon found by connect), so a failed record says how far the board got.
    const phases: PhaseTimes = {}
    let current: Phase | undefined
    const track = (e: JobEvent) => {
      if (e.type === 'phase-start') current = e.phase
      if (e.type === 'phase-end') phases[e.phase] = (phases[e.phase] ?? 0) + e.elapsedMs
      emit({ ...e, serial })
    }
    let record: JigRecord = { serial, ...options.stamp, port, slot: port === undefined ? undefined : options.slots?.[port], startedAt: startedAt.toISOString(), endedAt: '', durationMs: 0, phases: {}, outcome: 'failed' }
    try {
      const prepared = await plan(board.info)
      const { header } = readImage(prepared.image) // checked before any traffic to the board
      record = { ...record, imageCrc: header!.crc, imageSize: prepared.image.length, imageSha256: await sha256Hex(prepared.image), provision: prepared.provision }
      const result = await push({
        bus: options.bus, image: prepared.image, serial, force: options.force, dfuTimeoutMs: options.dfuTimeoutMs, untilGone: true, onForeign: options.onForeign,
        onEvent: track,
      })
      await prepared.commit?.()
      record = { ...record, phases: result.phases, outcome: result.status, foreign: result.foreign }
      // Released: wait for it to re-enumerate, so the reset is not taken for an unplug.
      await waitForBoard(options.bus, (b) => b.info.serial === serial, options.reappearTimeoutMs ?? 15_000)
    } catch (error) {
      const e = error instanceof FlashdataError ? error : new FlashdataError('INTERNAL', (error as Error).message)
      if (e.code === 'POOL_EXHAUSTED') {
        // Not a failed board: it was never touched. The station stops taking boards.
        exhausted = true
        emit({ type: 'message', level: 'warning', message: `${e.message} ${serial} was not touched; the station stops taking boards.` })
        lastActivity = Date.now()
        return
      }
      const foreign = e.code === 'FOREIGN_DATA' ? { contents: e.details?.contents as SectorContents } : undefined
      record = { ...record, phases, outcome: 'failed', failedPhase: current, foreign, error: { code: e.code, message: e.message, hint: e.hint } }
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
    if (exhausted) return 'pool-exhausted'
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
      if (!serial || handled.has(serial) || active.has(serial) || full() || exhausted) continue
      handled.add(serial)
      counted.add(serial)
      lastActivity = Date.now()
      const port = board.info.path
      emit({ type: 'board-attached', serial, mode: board.info.mode, platform: board.info.platform, port, slot: port === undefined ? undefined : options.slots?.[port] })
      active.set(serial, flashOne(board).finally(() => active.delete(serial)))
    }
  }

  // A quick unplug and replug can fall between two scans: the disconnect event still tells.
  const onDisconnect = ({ device }: UsbConnectionEvent) => {
    const serial = normalizeSerial(device.serialNumber)
    if (!active.has(serial)) handled.delete(serial)
  }
  options.bus.addEventListener('disconnect', onDisconnect)
  emit({ type: 'message', level: 'info', message: `Station ready: waiting for boards (${listing ? `image ${common!.length} bytes, ${listing.files.length} files` : 'an image per board'}).` })
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
