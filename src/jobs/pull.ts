import { FlashdataError } from '../errors.js'
import { parseImage } from '../image/parse.js'
import { PhaseTracker, type EventSink, type PhaseTimes } from './events.js'
import { readSectorImage } from './read-image.js'
import { explainFailure, leaveDfuMode, openDfuSession, type BoardOptions } from './session.js'
import { planRead } from './plan.js'

export interface PullOptions extends BoardOptions {
  /** The whole 128 KiB sector, whatever it holds, instead of the image's length. */
  raw?: boolean
  leave?: boolean
  onEvent?: EventSink
}

export interface PullResult {
  serial: string
  bytes: Uint8Array
  phases: PhaseTimes
  totalMs: number
}

/** Reads the image (or the raw sector) back from the board. */
export async function pull(options: PullOptions): Promise<PullResult> {
  const plan = planRead(options.address)
  const tracker = new PhaseTracker(options.onEvent)
  const session = await openDfuSession(options, tracker, plan)
  let bytes: Uint8Array
  try {
    bytes = await readSectorImage(session.dfu, plan.target.start, tracker, { raw: options.raw })
    if (options.leave || session.foundIn === 'firmware')
      await leaveDfuMode(options.bus, session.dfu, session.board, tracker)
  } catch (error) {
    throw await explainFailure(error, options.bus, session.board.device)
  } finally {
    await session.dfu.close()
  }
  // Without --raw only a valid image is worth writing out: say what is wrong instead.
  const listing = parseImage(bytes)
  if (!options.raw && !listing.valid) {
    throw new FlashdataError(
      'NO_IMAGE_ON_DEVICE',
      `The data sector of ${session.board.info.serial} holds no valid image: ${listing.problems
        .filter((p) => p.severity === 'error')
        .map((p) => p.message)
        .join(' ')}`,
      {
        details: { problems: listing.problems },
      },
    )
  }
  return { serial: session.board.info.serial, bytes, phases: tracker.times, totalMs: tracker.totalMs }
}
