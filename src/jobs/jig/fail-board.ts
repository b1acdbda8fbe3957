import type { Board, RefusedBoard } from '../../device/board.js'
import { ambiguous } from '../../device/select.js'
import type { JigState } from './state.js'

// Boards recorded without a push: refused at once, or stopped where they were.

/** A board refused for its serial fails at once: nothing is read from disk for it or sent to it. */
export async function refuseBoard(jig: JigState, board: RefusedBoard): Promise<void> {
  const at = new Date()
  const { code, message } = board.error
  await jig.finish({ ...jig.startRecord(board.info, at), endedAt: at.toISOString(), error: { code, message } })
}

/**
 * Boards that share a serial (or answer to one device id) cannot be told
 * apart: a push finds its board by serial. Each is failed once, by its
 * port, until it leaves; the one left alone is then flashed as usual.
 */
export async function failTwin(jig: JigState, twin: Board, sharing: Board[]): Promise<void> {
  const { serial, path } = twin.info
  const board = jig.board(serial)
  board.twinPorts.add(path ?? '')
  board.taken = true
  jig.attached(twin.info)
  const at = new Date()
  const { code, message } = ambiguous(sharing, serial)
  await jig.finish({
    ...jig.startRecord(twin.info, at),
    endedAt: at.toISOString(),
    failedPhase: 'connect',
    error: { code, message },
  })
}

/** The hard stop: one aborted record per board in progress, in the order they started. */
export async function recordAborted(jig: JigState): Promise<void> {
  const abortedAt = new Date()
  jig.abortedAt = abortedAt
  const left = jig.running().flatMap((running) => {
    const { attempt } = running
    running.attempt = undefined
    return attempt ? [attempt] : []
  })
  left.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt))
  for (const { record, phases, current } of left) {
    const phase = current ?? 'connect'
    await jig.finish({
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
