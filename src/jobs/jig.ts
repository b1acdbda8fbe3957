import { FlashdataError } from '../errors.js'
import { sectorImage } from '../image/parse.js'
import { bytes, plural } from '../text.js'
import { watchBus } from './jig/loop.js'
import { paddingNote } from './plan.js'
import type { BoardPlan, JigOptions } from './jig/options.js'
import { JigState } from './jig/state.js'
import { summarize, type JigSummary } from './jig/summary.js'

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
  const jig = new JigState(options, options.prepare ?? (async (): Promise<BoardPlan> => ({ image: common! })))
  announce(jig, station)
  return summarize(jig.records, await watchBus(jig))
}

/** What the station writes, before it waits for boards. */
function announce(jig: JigState, station: ReturnType<typeof sectorImage> | undefined): void {
  if (station && station.padding > 0)
    jig.emit({
      type: 'message',
      level: 'info',
      message: paddingNote(station.padding, station.image.length),
    })
  const what = station
    ? `image ${bytes(station.image.length)}, ${plural(station.listing.files.length, 'file')}`
    : 'an image per board'
  jig.emit({ type: 'message', level: 'info', message: `Station ready: waiting for boards (${what}).` })
}
