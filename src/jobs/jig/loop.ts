import { boardKey, type Board, type BoardInfo, type RefusedBoard } from '../../device/board.js'
import { sleep, surveyBus } from '../../device/wait.js'
import { BUS_POLL_MS } from '../../timeouts.js'
import type { UsbConnectionEvent } from '../../usb/types.js'
import { failTwin, recordAborted, refuseBoard } from './fail-board.js'
import { flashBoard } from './flash-board.js'
import type { JigState, Running } from './state.js'
import type { JigSummary } from './summary.js'

/** A board on the bus and how it is run once taken. */
interface Present {
  info: BoardInfo | RefusedBoard['info']
  run: (running: Running) => Promise<void>
}

/**
 * Looks at the bus until the station has a reason to stop, then waits for
 * the boards in progress, or on the hard stop records them as aborted at once.
 */
export async function watchBus(jig: JigState): Promise<JigSummary['stoppedBy']> {
  const { options } = jig
  const hardStop = new Promise<'abort'>((resolve) => {
    if (options.abort?.aborted) resolve('abort')
    options.abort?.addEventListener('abort', () => resolve('abort'), { once: true })
  })
  // A quick unplug and replug can fall between two scans: the disconnect event still tells.
  const onDisconnect = ({ device }: UsbConnectionEvent) => {
    const board = jig.boards.get(boardKey(device))
    if (board?.status.is === 'handled') board.status = { is: 'ready' }
  }
  options.bus.addEventListener('disconnect', onDisconnect)
  let stoppedBy: JigSummary['stoppedBy'] | undefined
  try {
    for (stoppedBy = stopReason(jig); !stoppedBy && !options.abort?.aborted; stoppedBy = stopReason(jig)) {
      await scan(jig)
      await Promise.race([sleep(options.pollMs ?? BUS_POLL_MS, options.signal), hardStop, ...runs(jig)])
    }
    await Promise.race([Promise.all(runs(jig)), hardStop])
    if (options.abort?.aborted) {
      stoppedBy = 'abort'
      await recordAborted(jig)
    } else if (jig.exhausted) stoppedBy = 'pool-exhausted' // found by a board still in progress when the loop ended
  } finally {
    options.bus.removeEventListener('disconnect', onDisconnect)
  }
  return stoppedBy ?? 'abort'
}

const runs = (jig: JigState) => jig.running().flatMap(({ run }) => (run ? [run] : []))

// The pool running out wins over every other reason: a board was left without its data.
function stopReason(jig: JigState): JigSummary['stoppedBy'] | undefined {
  const { options } = jig
  if (jig.exhausted) return 'pool-exhausted'
  if (options.signal?.aborted) return 'signal'
  if (options.count !== undefined && jig.count('done') >= options.count) return 'count'
  if (idle(jig)) return 'timeout'
  return undefined
}

/**
 * The idle clock stands still while the station is paused and starts again when it resumes.
 * A paused (or just resumed) station is never idle: the clock, set to now, is not read back,
 * since a second reading can land a millisecond later and time out a station still paused.
 */
function idle(jig: JigState): boolean {
  const paused = jig.options.paused?.() === true
  const stands = paused || jig.wasPaused
  jig.wasPaused = paused
  if (stands) {
    jig.touch()
    return false
  }
  const { idleTimeoutMs } = jig.options
  return idleTimeoutMs !== undefined && jig.running().length === 0 && Date.now() - jig.lastActivity >= idleTimeoutMs
}

/** One look at the bus: forget the boards that left, start every new one. */
async function scan(jig: JigState): Promise<void> {
  const { boards, refused } = await surveyBus(jig.options.bus)
  const present: Present[] = [
    ...boards.map((board) => ({ info: board.info, run: (running: Running) => flashBoard(jig, board, running) })),
    ...refused.map((board) => ({ info: board.info, run: () => refuseBoard(jig, board) })),
  ]
  forgetAbsent(jig, present)
  const paused = jig.options.paused?.() === true
  for (const board of present) {
    const sharing = boards.filter((b) => b.info.serial === board.info.serial)
    const twin = sharing.length > 1 ? sharing.find((b) => b.info === board.info) : undefined
    if (twin && !paused) await meetTwin(jig, twin, sharing)
    else take(jig, board, paused)
  }
}

/** Boards that left the bus are ready again for when they come back; twins that left are forgotten by port. */
function forgetAbsent(jig: JigState, present: Present[]): void {
  const serials = new Set(present.map(({ info }) => info.serial))
  const ports = new Set(present.map(({ info }) => `${info.serial}\n${info.path ?? ''}`))
  for (const [serial, board] of jig.boards) {
    if (!serials.has(serial) && (board.status.is === 'handled' || board.status.is === 'waiting'))
      board.status = { is: 'ready' }
    for (const port of board.twinPorts) if (!ports.has(`${serial}\n${port}`)) board.twinPorts.delete(port)
  }
}

/** A board sharing its serial with another fails once; the one already in progress (its twin came later) goes on. */
async function meetTwin(jig: JigState, twin: Board, sharing: Board[]): Promise<void> {
  const { serial, path } = twin.info
  const board = jig.board(serial)
  // The push in progress meets the twin itself.
  const inProgressHere = board.status.is === 'running' && board.status.attempt?.record.port === path
  if (!board.twinPorts.has(path ?? '') && !inProgressHere) await failTwin(jig, twin, sharing)
}

/** Starts a ready board, or announces it once as waiting while the station is paused. */
function take(jig: JigState, { info, run }: Present, paused: boolean): void {
  const board = jig.board(info.serial)
  const { is } = board.status
  const full = jig.options.count !== undefined && jig.count('taken') >= jig.options.count
  if ((is !== 'ready' && is !== 'waiting') || full || jig.exhausted) return
  if (paused) {
    if (is !== 'waiting') jig.emit({ type: 'board-waiting', serial: info.serial })
    board.status = { is: 'waiting' }
    return
  }
  board.taken = true
  jig.touch()
  jig.attached(info)
  jig.start(board, run)
}
