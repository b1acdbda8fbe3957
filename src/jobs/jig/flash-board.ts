import type { Board } from '../../device/board.js'
import { sameBoard } from '../../device/identity.js'
import { waitForBoard } from '../../device/wait.js'
import { type FlashdataError, isFlashdataError, toFlashdataError } from '../../errors.js'
import { sectorImage } from '../../image/parse.js'
import type { ForeignContents } from '../../image/sector.js'
import { sha256Hex } from '../../image/sha256.js'
import { JIG_REAPPEAR_MS } from '../../timeouts.js'
import type { JigRecord, JobEvent } from '../events.js'
import { push } from '../push.js'
import type { Attempt, JigState, Running } from './state.js'

/**
 * One board's run: builds and checks its image, pushes it (switch, write,
 * verify, release), waits for the board to come back and records how it went.
 * A board that found no pool row is left untouched and unrecorded.
 */
export async function flashBoard(jig: JigState, board: Board, running: Running): Promise<void> {
  const { options } = jig
  const { serial } = board.info
  const startedAt = new Date()
  let record = jig.startRecord(board.info, startedAt)
  const attempt: Attempt = { record, phases: {} }
  running.attempt = attempt
  const track = (e: JobEvent) => {
    if (e.type === 'phase-start') attempt.current = e.phase
    if (e.type === 'phase-end') attempt.phases[e.phase] = (attempt.phases[e.phase] ?? 0) + e.elapsedMs
    jig.emit({ ...e, serial })
  }
  try {
    const prepared = await jig.plan(board.info)
    // Checked before any traffic to the board; 0xFF padding after the image is not written.
    const { image, listing } = sectorImage(prepared.image)
    record = attempt.record = {
      ...record,
      imageCrc: listing.header!.crc,
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
    await waitForBoard(options.bus, sameBoard(serial), options.reappearTimeoutMs ?? JIG_REAPPEAR_MS)
  } catch (error) {
    const e = toFlashdataError(error)
    if (e.code === 'POOL_EXHAUSTED') return leaveUntouched(jig, serial, e)
    record = failedRecord(record, attempt, e)
  } finally {
    running.attempt = undefined
  }
  if (jig.abortedAt) return // already recorded as aborted
  const ended = new Date()
  await jig.finish({ ...record, endedAt: ended.toISOString(), durationMs: ended.getTime() - startedAt.getTime() })
}

/** Not a failed board, nor a counted one: it was never touched. The station stops taking boards. */
function leaveUntouched(jig: JigState, serial: string, e: FlashdataError): void {
  jig.exhausted = true
  jig.board(serial).taken = false
  jig.emit({
    type: 'message',
    level: 'warning',
    message: `${e.message} ${serial} was not touched; the station stops taking boards.`,
  })
  jig.touch()
}

/** The phases completed and the last one begun, so a failed record says how far the board got. */
function failedRecord(record: JigRecord, attempt: Attempt, e: FlashdataError): JigRecord {
  const foreign = isFlashdataError(e, 'FOREIGN_DATA') ? { contents: e.details?.contents as ForeignContents } : undefined
  return {
    ...record,
    phases: attempt.phases,
    outcome: 'failed',
    failedPhase: attempt.current,
    foreign,
    error: { code: e.code, message: e.message },
  }
}
