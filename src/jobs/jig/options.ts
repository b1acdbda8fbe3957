import type { BoardInfo } from '../../device/board.js'
import type { UsbBusLike } from '../../usb/types.js'
import type { EventSink, JigRecord, ProvisionFacts, StationStamp } from '../events.js'
import type { ForeignData } from '../push.js'

/** One board's image, prepared when the board arrives and before any traffic to it. */
export interface BoardPlan {
  image: Uint8Array
  provision?: ProvisionFacts
  /** Called once the board holds its image, read back and verified (a pool row is committed here). */
  commit?: () => Promise<void>
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
