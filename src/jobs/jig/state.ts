import type { BoardInfo } from '../../device/board.js'
import { safeSink, type EventSink, type JigRecord, type Phase, type PhaseTimes } from '../events.js'
import type { BoardPlan, JigOptions } from './options.js'

/** A board's attempt under way: its record so far and the phase it is in, for the record of a hard stop. */
export interface Attempt {
  record: JigRecord
  phases: PhaseTimes
  /** The last phase begun: under way, or the one whose result was refused (such as a Photon found by connect). */
  current?: Phase
}

export interface Running {
  is: 'running'
  /** The station's starts before this one: a hard stop records the boards in the order they started. */
  order: number
  /** Ends once the board's record is written; set as the run starts. */
  run?: Promise<void>
  /** Until the outcome of the board's push is known: the hard stop records a board that has one as aborted. */
  attempt?: Attempt
}

/**
 * Where a board stands: `ready` is taken at the next look at the bus (unless the station is full,
 * out of pool rows or paused), `waiting` has been announced as waiting for the paused station,
 * `handled` is not flashed again until it leaves the bus.
 */
export type Status = { is: 'ready' } | { is: 'waiting' } | Running | { is: 'handled' }

/** One board of the station, by serial. */
export interface BoardState {
  status: Status
  /** Taken toward --count; a retry of the same board is not another board, one that found no pool row is not taken. */
  taken: boolean
  /** Finished with a record: --count stops the station once this many are done. */
  done: boolean
  /** Ports of the boards failed for sharing this serial: each is failed once, until it leaves the bus. */
  twinPorts: Set<string>
}

/** One run of the station: its boards and records, shared by its loop and its boards' runs. */
export class JigState {
  /** Keyed by serial (a refused board's escaped one, never equal to a valid serial). */
  readonly boards = new Map<string, BoardState>()
  readonly records: JigRecord[] = []
  readonly emit: EventSink
  /** A board found no pool row: the station takes no more boards. */
  exhausted = false
  /** When a board last arrived or finished: the idle timeout counts from here. */
  lastActivity = Date.now()
  /** Whether the station was paused at the last look, so that the idle clock starts again when it resumes. */
  wasPaused = false
  /** Set by the hard stop once it has recorded the boards in progress as aborted. */
  abortedAt?: Date
  private starts = 0

  constructor(
    readonly options: JigOptions,
    readonly plan: (board: BoardInfo) => Promise<BoardPlan>,
  ) {
    this.emit = safeSink(options.onEvent)
  }

  /** The board with this serial; ready if the station has not met it before. */
  board(serial: string): BoardState {
    let board = this.boards.get(serial)
    if (!board) {
      board = { status: { is: 'ready' }, taken: false, done: false, twinPorts: new Set() }
      this.boards.set(serial, board)
    }
    return board
  }

  /** The boards in progress, in the order they started. */
  running(): Running[] {
    const running = [...this.boards.values()].flatMap(({ status }) => (status.is === 'running' ? [status] : []))
    return running.sort((a, b) => a.order - b.order)
  }

  /** Marks the board in progress and starts its run; back to handled once the run ends. */
  start(board: BoardState, run: (running: Running) => Promise<void>): void {
    const running: Running = { is: 'running', order: this.starts++ }
    board.status = running
    running.run = run(running).finally(() => {
      board.status = { is: 'handled' }
    })
  }

  count(what: 'taken' | 'done'): number {
    let n = 0
    for (const board of this.boards.values()) if (board[what]) n++
    return n
  }

  /** A board arrived or finished: the idle clock starts again. */
  touch(): void {
    this.lastActivity = Date.now()
  }

  slot(port: string | undefined): string | undefined {
    return port === undefined ? undefined : this.options.slots?.[port]
  }

  attached(info: Pick<BoardInfo, 'mode' | 'platform' | 'path'> & { serial: string }): void {
    const { serial, mode, platform, path: port } = info
    this.emit({ type: 'board-attached', serial, mode, platform, port, slot: this.slot(port) })
  }

  /** A board's record as it starts: failed until it is done. */
  startRecord(info: { serial: string; path?: string }, startedAt: Date): JigRecord {
    return {
      serial: info.serial,
      ...this.options.stamp,
      port: info.path,
      slot: this.slot(info.path),
      startedAt: startedAt.toISOString(),
      endedAt: '',
      durationMs: 0,
      phases: {},
      outcome: 'failed',
    }
  }

  /** Keeps a board's record, hands it to onRecord, then announces it: the board is done. */
  async finish(record: JigRecord): Promise<void> {
    this.records.push(record)
    await this.options.onRecord?.(record)
    this.emit({ type: 'board-done', serial: record.serial, record })
    this.board(record.serial).done = true
    this.touch()
  }
}
