import { FlashdataError } from '../errors.js'
import type { DfuseDevice } from '../dfu/dfuse.js'
import { waitForBoard } from '../device/wait.js'
import { matchImage, withoutTimeStamps, type ImageMatch } from '../image/compare.js'
import { HEADER_SIZE } from '../image/format.js'
import { readImage } from '../image/parse.js'
import { firstDifference, hex } from './compare.js'
import { PhaseTracker, type EventSink, type PhaseTimes } from './events.js'
import { explainFailure, leaveDfuMode, openDfuSession, type BoardOptions } from './session.js'
import { targetRange } from './target.js'

export interface PushOptions extends BoardOptions {
  image: Uint8Array
  /** Rewrite even when the sector already holds this image. */
  force?: boolean
  /** Leave DFU mode afterwards so the firmware starts (default true). */
  leave?: boolean
  /** After leaving, wait this long for the board to be back running firmware. */
  waitAppMs?: number
  /** After leaving, wait until the board has dropped off the bus (about 500 ms), so its reset is not mistaken later. */
  untilGone?: boolean
  onEvent?: EventSink
}

export interface PushResult {
  /** unchanged: the board already held these files (only time stamps may differ); nothing was written. */
  status: 'flashed' | 'unchanged'
  /** Unchanged, but the board's image has other time stamps (a touched or freshly cloned folder); they are kept. */
  timeStampsDiffer: boolean
  serial: string
  platform: string
  address: number
  imageSize: number
  crc: number
  phases: PhaseTimes
  totalMs: number
  /** How a board running firmware was switched to DFU mode, when it was. */
  modeSwitch?: string
  /** Whether a failed write or verify was retried once. */
  retried: boolean
  transfers: Record<string, number>
}

const WAIT_APP_DEFAULT_MS = 30_000

const COMPARED: Record<ImageMatch, string> = {
  identical: 'the board already holds this image',
  'time-stamps': 'the board already holds these files; only time stamps differ',
  different: 'the board holds other data',
}

/** Reads the image's length back and says where it first differs (-1: equal). */
async function readBack(dfu: DfuseDevice, address: number, image: Uint8Array, tracker: PhaseTracker): Promise<number> {
  const back = await tracker.run('verify', image.length, (progress) => dfu.read(address, image.length, (done) => progress(done)))
  return firstDifference(back, image)
}

async function eraseAndWrite(dfu: DfuseDevice, address: number, image: Uint8Array, tracker: PhaseTracker): Promise<void> {
  await tracker.run('erase', undefined, () => dfu.erase(address), () => ({ detail: `${hex(address)}` }))
  await tracker.run('write', image.length, (progress) => dfu.write(address, image, (done) => progress(done)))
}

/**
 * Writes an image into the board's data sector, proved by reading it back:
 * compare first (the same files are left alone, whatever their time stamps,
 * unless forced), erase the sector, write,
 * verify byte for byte, leave DFU mode. A failed write or verify is retried
 * once from the erase; a second failure is an error, never a success.
 */
export async function push(options: PushOptions): Promise<PushResult> {
  const listing = readImage(options.image) // input errors before any USB traffic
  const tracker = new PhaseTracker(options.onEvent)
  const address = targetRange(options.address).start
  const session = await openDfuSession(options, tracker)
  const { dfu, board } = session
  let status: PushResult['status'] = 'flashed'
  let timeStampsDiffer = false
  let retried = false
  try {
    const held: ImageMatch = options.force ? 'different' : await tracker.run('compare', options.image.length, async (progress) => {
      // The header holds the size and the file count: if they differ, the rest need not be read.
      const header = await dfu.read(address, HEADER_SIZE)
      progress(HEADER_SIZE)
      if (firstDifference(withoutTimeStamps(header), withoutTimeStamps(options.image.subarray(0, HEADER_SIZE))) !== -1) return 'different'
      const rest = await dfu.read(address + HEADER_SIZE, options.image.length - HEADER_SIZE, (done) => progress(HEADER_SIZE + done))
      const board = new Uint8Array(options.image.length)
      board.set(header)
      board.set(rest, HEADER_SIZE)
      return matchImage(board, options.image)
    }, (match) => ({ detail: COMPARED[match] }))
    timeStampsDiffer = held === 'time-stamps'
    if (held !== 'different') status = 'unchanged'
    else {
      for (let attempt = 1; ; attempt++) {
        let failure: FlashdataError
        try {
          await eraseAndWrite(dfu, address, options.image, tracker)
          const at = await readBack(dfu, address, options.image, tracker)
          if (at === -1) break
          failure = new FlashdataError('VERIFY_MISMATCH', `Read-back differs from the image at offset ${at} (${hex(address + at)}).`, {
            hint: 'The flash may be failing. Run the push again; if it fails at the same offset, the board\'s flash is damaged.',
            details: { offset: at, address: address + at },
          })
        } catch (error) {
          if (!(error instanceof FlashdataError) || (error.code !== 'DFU_WRITE_FAILED' && error.code !== 'DFU_ERASE_FAILED')) throw error
          failure = error
        }
        if (attempt === 2) throw failure
        retried = true
        tracker.message(`${failure.message} Erasing and writing again.`, 'warning')
      }
    }
    if (options.leave !== false) await leaveDfuMode(options.bus, dfu, board, tracker, options.untilGone)
  } catch (error) {
    throw await explainFailure(error, options.bus, board.device)
  } finally {
    await dfu.close()
  }
  if (options.leave !== false && options.waitAppMs !== 0 && options.waitAppMs !== undefined) {
    await tracker.run('wait-app', undefined, async () => {
      const back = await waitForBoard(options.bus, (b) => b.info.serial === board.info.serial && b.info.mode === 'normal', options.waitAppMs ?? WAIT_APP_DEFAULT_MS, options.signal)
      if (!back) {
        throw new FlashdataError('TIMEOUT', `The board ${board.info.serial} was written but did not come back running firmware within ${Math.round((options.waitAppMs ?? WAIT_APP_DEFAULT_MS) / 1000)} s.`, {
          hint: 'Check the board\'s LED: blinking yellow means it is still in DFU mode (no valid firmware at 0x08020000).',
        })
      }
    })
  }
  return {
    status, timeStampsDiffer, serial: board.info.serial, platform: board.info.platform, address, imageSize: options.image.length, crc: listing.header!.crc,
    phases: tracker.times, totalMs: tracker.totalMs, modeSwitch: session.modeSwitch, retried, transfers: { ...dfu.stats.transfers },
  }
}
