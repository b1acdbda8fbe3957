import { FlashdataError } from '../errors.js'
import { boardKey, type Board, type BoardInfo, type RefusedBoard } from '../device/board.js'
import { sameBoard } from '../device/identity.js'
import { ambiguous } from '../device/select.js'
import { sleep, surveyBus, waitForBoard } from '../device/wait.js'
import { sectorImage } from '../image/parse.js'
import type { UsbBusLike, UsbConnectionEvent } from '../usb/types.js'
import {
  safeSink,
  type EventSink,
  type JigRecord,
  type JobEvent,
  type Phase,
  type PhaseTimes,
  type ProvisionFacts,
  type StationStamp,
} from './events.js'
import type { SectorContents } from '../image/sector.js'
import { sha256Hex } from '../image/sha256.js'
import { push, type ForeignData } from './push.js'

// Defined beside the board-done event that carries them; exported here too, where the jig's users look.
export type { JigRecord, ProvisionFacts, StationStamp } from './events.js'

/** One board's image, prepared when the board arrives and before any traffic to it. */
export interface BoardPlan {
  image: Uint8Array
  provision?: ProvisionFacts
  /** Called once the board holds its image, read back and verified (a pool row is committed here). */
  commit?: () => Promise<void>
}

/** Counts are of boards, each by its last attempt: a board that failed and then was flashed on a replug counts as flashed. */
export interface JigSummary {
  boards: number
  /** Attempts, retries of a board included (one record each). */
  attempts: number
  /** Written and verified. */
  flashed: number
  /** Already held the image: nothing written. */
  unchanged: number
  failed: number
  averageMs: number
  records: JigRecord[]
  /** Why the station stopped: abort is the hard stop, with the boards in progress recorded as aborted. */
  stoppedBy: 'count' | 'timeout' | 'signal' | 'pool-exhausted' | 'abort'
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
  /**
   * Stop once this many boards are done (failed ones included; a retry of the
   * same board does not count again; a board that found no pool row is not counted).
   */
  count?: number
  /** Stop when no board has arrived or been in progress for this long. */
  idleTimeoutMs?: number
  /** Abort: stop taking new boards, finish the ones in progress. */
  signal?: AbortSignal
  /**
   * While this returns true the station takes no new board (each one that
   * arrives is announced once as waiting) and does not time out; the boards
   * in progress finish.
   */
  paused?: () => boolean
  /**
   * The hard stop: record every board in progress as aborted (with its phase)
   * at once and return without waiting for them; the caller ends the process.
   */
  abort?: AbortSignal
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
  if (!common && !options.prepare)
    throw new FlashdataError('BAD_OPTION', 'The jig needs an image or a way to prepare one per board.')
  // Checked once for the whole station; each board's push plans and checks its image again.
  const station = common ? sectorImage(common) : undefined
  const listing = station?.listing
  const plan = options.prepare ?? (async (): Promise<BoardPlan> => ({ image: common! }))
  let exhausted = false
  const records: JigRecord[] = []
  // Keyed by serial (a refused board's escaped one, never equal to a valid serial).
  const active = new Map<string, Promise<void>>()
  /** Boards announced as waiting for the station to resume. */
  const waiting = new Set<string>()
  /** Boards handled since they were plugged in: not flashed again until they leave the bus. */
  const handled = new Set<string>()
  /**
   * Boards taken toward --count, in progress or finished: a retry of the same
   * board is not another board, and one that found no pool row leaves the set
   * (it was never done).
   */
  const taken = new Set<string>()
  /** Boards finished with a record: --count stops the station only once this many are done. */
  const done = new Set<string>()
  let lastActivity = Date.now()
  const emit = safeSink(options.onEvent)
  /** Boards in progress: their record so far and the phase each is in, for the records of a hard stop. */
  const inProgress = new Map<string, { record: JigRecord; phases: PhaseTimes; current?: Phase }>()
  let abortedAt: Date | undefined

  const finish = async (record: JigRecord): Promise<void> => {
    records.push(record)
    await options.onRecord?.(record)
    emit({ type: 'board-done', serial: record.serial, record })
  }

  /** A board's record as it starts: failed until it is done. */
  const startRecord = (info: { serial: string; path?: string }, startedAt: Date): JigRecord => ({
    serial: info.serial,
    ...options.stamp,
    port: info.path,
    slot: info.path === undefined ? undefined : options.slots?.[info.path],
    startedAt: startedAt.toISOString(),
    endedAt: '',
    durationMs: 0,
    phases: {},
    outcome: 'failed',
  })

  /** A board refused for its serial fails at once: nothing is read from disk for it or sent to it. */
  const refuse = async (board: RefusedBoard): Promise<void> => {
    const at = new Date()
    const { code, message, hint } = board.error
    await finish({ ...startRecord(board.info, at), endedAt: at.toISOString(), error: { code, message, hint } })
    done.add(board.info.serial)
    lastActivity = Date.now()
  }

  const flashOne = async (board: Board): Promise<void> => {
    const serial = board.info.serial
    const startedAt = new Date()
    // The phases completed and the last one begun (under way, or the one whose result was refused, such as
    // a Photon found by connect), so a failed record says how far the board got.
    let record = startRecord(board.info, startedAt)
    const live: { record: JigRecord; phases: PhaseTimes; current?: Phase } = { record, phases: {} }
    const { phases } = live
    inProgress.set(serial, live)
    const track = (e: JobEvent) => {
      if (e.type === 'phase-start') live.current = e.phase
      if (e.type === 'phase-end') phases[e.phase] = (phases[e.phase] ?? 0) + e.elapsedMs
      emit({ ...e, serial })
    }
    try {
      const prepared = await plan(board.info)
      // Checked before any traffic to the board; 0xFF padding after the image is not written.
      const { image, listing: own } = sectorImage(prepared.image)
      record = live.record = {
        ...record,
        imageCrc: own.header!.crc,
        imageSize: image.length,
        imageSha256: await sha256Hex(image),
        provision: prepared.provision,
      }
      const result = await push({
        bus: options.bus,
        image,
        serial,
        force: options.force,
        dfuTimeoutMs: options.dfuTimeoutMs,
        untilGone: true,
        onForeign: options.onForeign,
        onEvent: track,
      })
      await prepared.commit?.()
      record = { ...record, phases: result.phases, outcome: result.status, foreign: result.foreign }
      // Released: wait for it to re-enumerate, so the reset is not taken for an unplug.
      await waitForBoard(options.bus, sameBoard(serial), options.reappearTimeoutMs ?? 15_000)
    } catch (error) {
      const e = error instanceof FlashdataError ? error : new FlashdataError('INTERNAL', (error as Error).message)
      if (e.code === 'POOL_EXHAUSTED') {
        // Not a failed board, nor a counted one: it was never touched. The station stops taking boards.
        exhausted = true
        taken.delete(serial)
        emit({
          type: 'message',
          level: 'warning',
          message: `${e.message} ${serial} was not touched; the station stops taking boards.`,
        })
        lastActivity = Date.now()
        return
      }
      const foreign = e.code === 'FOREIGN_DATA' ? { contents: e.details?.contents as SectorContents } : undefined
      record = {
        ...record,
        phases,
        outcome: 'failed',
        failedPhase: live.current,
        foreign,
        error: { code: e.code, message: e.message, hint: e.hint },
      }
    } finally {
      inProgress.delete(serial)
    }
    if (abortedAt) return // already recorded as aborted
    const ended = new Date()
    record = { ...record, endedAt: ended.toISOString(), durationMs: ended.getTime() - startedAt.getTime() }
    await finish(record)
    done.add(serial)
    lastActivity = Date.now()
  }

  /** The hard stop: one aborted record per board in progress, in the order they started. */
  const recordAborted = async (): Promise<void> => {
    abortedAt = new Date()
    const left = [...inProgress.values()].sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt))
    inProgress.clear()
    for (const { record, phases, current } of left) {
      const phase = current ?? 'connect'
      await finish({
        ...record,
        endedAt: abortedAt.toISOString(),
        durationMs: abortedAt.getTime() - Date.parse(record.startedAt),
        phases,
        outcome: 'aborted',
        failedPhase: phase,
        error: {
          code: 'INTERRUPTED',
          message: `Aborted during ${phase}: the board may hold a half-written image; flash it again.`,
        },
      })
    }
  }
  const hardStop = new Promise<'abort'>((resolve) => {
    if (options.abort?.aborted) resolve('abort')
    options.abort?.addEventListener('abort', () => resolve('abort'), { once: true })
  })

  /** No new board is taken once --count boards are taken. */
  const full = () => options.count !== undefined && taken.size >= options.count
  /** The idle clock stands still while the station is paused and starts again when it resumes. */
  let wasPaused = false
  const idle = (): boolean => {
    const paused = options.paused?.() === true
    if (paused || wasPaused) lastActivity = Date.now()
    wasPaused = paused
    return (
      options.idleTimeoutMs !== undefined && active.size === 0 && Date.now() - lastActivity >= options.idleTimeoutMs
    )
  }
  // The pool running out wins over every other reason: a board was left without its data.
  const stopReason = (): JigSummary['stoppedBy'] | undefined => {
    if (exhausted) return 'pool-exhausted'
    if (options.signal?.aborted) return 'signal'
    if (options.count !== undefined && done.size >= options.count) return 'count'
    if (idle()) return 'timeout'
    return undefined
  }

  /**
   * Boards that share a serial (or answer to one device id) cannot be told
   * apart: a push finds its board by serial. Each is failed once, by its
   * port, until it leaves; the one left alone is then flashed as usual.
   */
  const twins = new Set<string>()
  const twinKey = (info: { serial: string; path?: string }) => `${info.serial}\n${info.path ?? ''}`
  const failTwin = async (board: Board, sharing: Board[]): Promise<void> => {
    twins.add(twinKey(board.info))
    taken.add(board.info.serial)
    const { serial, path: port, mode, platform } = board.info
    emit({
      type: 'board-attached',
      serial,
      mode,
      platform,
      port,
      slot: port === undefined ? undefined : options.slots?.[port],
    })
    const at = new Date()
    const { code, message, hint } = ambiguous(sharing, serial)
    await finish({
      ...startRecord(board.info, at),
      endedAt: at.toISOString(),
      failedPhase: 'connect',
      error: { code, message, hint },
    })
    done.add(serial)
    lastActivity = Date.now()
  }

  /** One look at the bus: forget boards that left, start every new one. */
  const scan = async (): Promise<void> => {
    const { boards, refused } = await surveyBus(options.bus)
    const present = [
      ...boards.map((board) => ({ info: board.info, run: () => flashOne(board) })),
      ...refused.map((board) => ({ info: board.info, run: () => refuse(board) })),
    ]
    const serials = new Set(present.map((b) => b.info.serial))
    for (const serial of handled) if (!serials.has(serial) && !active.has(serial)) handled.delete(serial)
    for (const serial of waiting) if (!serials.has(serial)) waiting.delete(serial)
    const twinKeys = new Set(present.map((p) => twinKey(p.info)))
    for (const key of twins) if (!twinKeys.has(key)) twins.delete(key)
    const paused = options.paused?.() === true
    for (const { info, run } of present) {
      const serial = info.serial
      const sharing = boards.filter((b) => b.info.serial === serial)
      const twin = sharing.length > 1 ? sharing.find((b) => b.info === info) : undefined
      if (twin && !paused) {
        // The one already in progress (its twin came later) goes on: its push meets the twin itself.
        const inProgressHere = active.has(serial) && inProgress.get(serial)?.record.port === info.path
        if (!twins.has(twinKey(info)) && !inProgressHere) await failTwin(twin, sharing)
        continue
      }
      if (handled.has(serial) || active.has(serial) || full() || exhausted) continue
      if (paused) {
        if (!waiting.has(serial)) emit({ type: 'board-waiting', serial })
        waiting.add(serial)
        continue
      }
      waiting.delete(serial)
      handled.add(serial)
      taken.add(serial)
      lastActivity = Date.now()
      const port = info.path
      emit({
        type: 'board-attached',
        serial,
        mode: info.mode,
        platform: info.platform,
        port,
        slot: port === undefined ? undefined : options.slots?.[port],
      })
      active.set(
        serial,
        run().finally(() => active.delete(serial)),
      )
    }
  }

  // A quick unplug and replug can fall between two scans: the disconnect event still tells.
  const onDisconnect = ({ device }: UsbConnectionEvent) => {
    const serial = boardKey(device)
    if (!active.has(serial)) handled.delete(serial)
  }
  options.bus.addEventListener('disconnect', onDisconnect)
  if (station && station.padding > 0)
    emit({
      type: 'message',
      level: 'info',
      message: `The image is followed by ${station.padding.toLocaleString('en-US')} bytes of 0xFF padding; only its ${station.image.length.toLocaleString('en-US')} bytes are written.`,
    })
  emit({
    type: 'message',
    level: 'info',
    message: `Station ready: waiting for boards (${listing ? `image ${station!.image.length.toLocaleString('en-US')} bytes, ${listing.files.length} file${listing.files.length === 1 ? '' : 's'}` : 'an image per board'}).`,
  })
  let stoppedBy: JigSummary['stoppedBy'] | undefined
  try {
    for (stoppedBy = stopReason(); !stoppedBy && !options.abort?.aborted; stoppedBy = stopReason()) {
      await scan()
      await Promise.race([sleep(options.pollMs ?? 200, options.signal), hardStop, ...active.values()])
    }
    await Promise.race([Promise.all(active.values()), hardStop])
    if (options.abort?.aborted) {
      stoppedBy = 'abort'
      await recordAborted()
    } else if (exhausted) stoppedBy = 'pool-exhausted' // found by a board still in progress when the loop ended
  } finally {
    options.bus.removeEventListener('disconnect', onDisconnect)
  }
  const boards = lastAttempts(records)
  const count = (outcome: JigRecord['outcome']) => boards.filter((r) => r.outcome === outcome).length
  return {
    boards: boards.length,
    attempts: records.length,
    flashed: count('flashed'),
    unchanged: count('unchanged'),
    // Aborted boards count as failed: their sectors may hold half-written images.
    failed: count('failed') + count('aborted'),
    averageMs: records.length ? Math.round(records.reduce((sum, r) => sum + r.durationMs, 0) / records.length) : 0,
    records,
    stoppedBy: stoppedBy ?? 'abort',
  }
}

/** Each board's last record, in the order the boards were first seen. */
export function lastAttempts(records: JigRecord[]): JigRecord[] {
  const last = new Map<string, JigRecord>()
  for (const record of records) last.set(record.serial, record)
  return [...last.values()]
}
