import { FlashdataError } from '../errors.js'
import type { BoardSerial } from '../device/serial.js'
import type { DfuseDevice } from '../dfu/dfuse.js'
import { sameBoard } from '../device/identity.js'
import { waitForBoard } from '../device/wait.js'
import { matchImage, withoutTimeStamps, type ImageMatch } from '../image/compare.js'
import { HEADER_SIZE } from '../image/format.js'
import { pageNumber, pagesInRange } from '../dfu/layout.js'
import { sectorImage } from '../image/parse.js'
import { classifySector, describeSector, type ForeignContents, type SectorContents } from '../image/sector.js'
import { hex32 } from '../text.js'
import { WRITE_ATTEMPTS } from '../timeouts.js'
import { firstDifference } from './compare.js'
import { PhaseTracker, type EventSink, type PhaseTimes } from './events.js'
import { explainFailure, leaveDfuMode, openDfuSession, type BoardOptions } from './session.js'
import { paddingNote, planPush } from './plan.js'
import { DATA_SECTOR_SIZE } from './target.js'

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
  /**
   * Called when the sector holds something other than nothing or a flashdata
   * image, with the whole sector, before anything is erased: save it and
   * return where (push then overwrites it). Without it, push refuses (FOREIGN_DATA).
   */
  onForeign?: (found: ForeignData) => Promise<string>
  onEvent?: EventSink
}

export interface ForeignData {
  serial: BoardSerial
  contents: ForeignContents
  /** The whole 128 KiB sector as read. */
  sector: Uint8Array
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
  /** What the sector held before, when it was not blank or a flashdata image, and where it was saved. */
  foreign?: { contents: ForeignContents; backup: string }
}

const COMPARED: Record<ImageMatch, string> = {
  identical: 'the board already holds this image',
  'time-stamps': 'the board already holds these files; only time stamps differ',
  different: 'the board holds other data',
}

/** Reads the image's length back and says where it first differs (-1: equal). */
async function readBack(dfu: DfuseDevice, address: number, image: Uint8Array, tracker: PhaseTracker): Promise<number> {
  const back = await tracker.run('verify', image.length, (progress) =>
    dfu.read(address, image.length, (done) => progress(done)),
  )
  return firstDifference(back, image)
}

interface SectorState {
  match: ImageMatch
  contents: SectorContents
  /** The whole sector, when it holds no flashdata image. */
  sector?: Uint8Array
}

/**
 * Looks at the sector before anything is erased. A flashdata header costs 48
 * bytes (and the rest only if it is this image's header). Anything else is
 * read whole and classified: data anywhere in the 128 KiB is someone's, and
 * erased means erased throughout (the read is a fraction of the erase after it).
 */
async function inspectSector(
  dfu: DfuseDevice,
  address: number,
  image: Uint8Array,
  force: boolean,
  progress: (bytes: number, newTotal?: number) => void,
): Promise<SectorState> {
  const header = await dfu.read(address, HEADER_SIZE)
  progress(HEADER_SIZE)
  const flashdata: SectorContents = { kind: 'flashdata' }
  if (classifySector(header).kind === 'flashdata') {
    // The header holds the size and the file count: if they differ, the rest need not be read.
    if (force || firstDifference(withoutTimeStamps(header), withoutTimeStamps(image.subarray(0, HEADER_SIZE))) !== -1)
      return { match: 'different', contents: flashdata }
    const rest = await dfu.read(address + HEADER_SIZE, image.length - HEADER_SIZE, (done) =>
      progress(HEADER_SIZE + done),
    )
    const held = new Uint8Array(image.length)
    held.set(header)
    held.set(rest, HEADER_SIZE)
    return { match: matchImage(held, image), contents: flashdata }
  }
  const rest = await dfu.read(address + HEADER_SIZE, DATA_SECTOR_SIZE - HEADER_SIZE, (done) =>
    progress(HEADER_SIZE + done, DATA_SECTOR_SIZE),
  )
  const sector = new Uint8Array(DATA_SECTOR_SIZE)
  sector.set(header)
  sector.set(rest, HEADER_SIZE)
  return { match: 'different', contents: classifySector(sector), sector }
}

function isForeign(contents: SectorContents): contents is ForeignContents {
  return contents.kind !== 'blank' && contents.kind !== 'flashdata'
}

/** Erases every page under the image (on the Electron: sector 9, one 128 KiB page), then writes it. */
async function eraseAndWrite(
  dfu: DfuseDevice,
  address: number,
  image: Uint8Array,
  tracker: PhaseTracker,
): Promise<void> {
  const pages = pagesInRange(dfu.layout, address, address + image.length)
  await tracker.run(
    'erase',
    undefined,
    async () => {
      for (const page of pages) await dfu.erase(page.start)
    },
    () => ({
      detail: pages
        .map(
          (page) =>
            `sector ${pageNumber(dfu.layout, page)} at ${hex32(page.start)} (${(page.end - page.start) / 1024} KiB)`,
        )
        .join(', '),
    }),
  )
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
  // Input and plan errors before any USB traffic.
  const { image, listing, padding } = sectorImage(options.image)
  const plan = planPush(image.length, options.address)
  const address = plan.target.start
  const tracker = new PhaseTracker(options.onEvent)
  if (padding > 0) tracker.message(paddingNote(padding, image.length))
  const session = await openDfuSession(options, tracker, plan)
  const { dfu, board } = session
  let status: PushResult['status'] = 'flashed'
  let timeStampsDiffer = false
  let retried = false
  let foreign: PushResult['foreign']
  try {
    const state = await tracker.run(
      'compare',
      image.length,
      (progress) => inspectSector(dfu, address, image, options.force ?? false, progress),
      (s) => ({
        detail: s.match === 'different' ? `the board holds ${describeSector(s.contents)}` : COMPARED[s.match],
      }),
    )
    // An explicit --address is another board's memory, at the user's risk: only sector 9 has a meaning to check.
    if (options.address === undefined && isForeign(state.contents))
      foreign = await keepForeign(options, board.info.serial, state.contents, state.sector!, tracker)
    timeStampsDiffer = state.match === 'time-stamps'
    if (state.match !== 'different') status = 'unchanged'
    else {
      for (let attempt = 1; ; attempt++) {
        let failure: FlashdataError
        try {
          await eraseAndWrite(dfu, address, image, tracker)
          const at = await readBack(dfu, address, image, tracker)
          if (at === -1) break
          failure = new FlashdataError(
            'VERIFY_MISMATCH',
            `Read-back differs from the image at offset ${at} (${hex32(address + at)}).`,
            {
              details: { offset: at, address: address + at },
            },
          )
        } catch (error) {
          if (
            !(error instanceof FlashdataError) ||
            (error.code !== 'DFU_WRITE_FAILED' && error.code !== 'DFU_ERASE_FAILED')
          )
            throw error
          failure = error
        }
        if (attempt === WRITE_ATTEMPTS) throw failure
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
  const waitAppMs = options.waitAppMs
  if (options.leave !== false && waitAppMs !== 0 && waitAppMs !== undefined) {
    await tracker.run('wait-app', undefined, async () => {
      const same = sameBoard(board.info.serial)
      const back = await waitForBoard(
        options.bus,
        async (b) => b.info.mode === 'firmware' && (await same(b)),
        waitAppMs,
        options.signal,
      )
      if (!back) {
        throw new FlashdataError(
          'TIMEOUT',
          `The board ${board.info.serial} was written but did not come back running firmware within ${Math.round(waitAppMs / 1000)} s.`,
          { details: { serial: board.info.serial, waitingFor: 'firmware' } },
        )
      }
    })
  }
  return {
    status,
    timeStampsDiffer,
    serial: board.info.serial,
    platform: board.info.platform,
    address,
    imageSize: image.length,
    crc: listing.header!.crc,
    phases: tracker.times,
    totalMs: tracker.totalMs,
    modeSwitch: session.modeSwitch,
    retried,
    transfers: { ...dfu.stats.transfers },
    foreign,
  }
}

/** Foreign data is overwritten only once the caller has saved it; otherwise the push stops here, before the erase. */
async function keepForeign(
  options: PushOptions,
  serial: BoardSerial,
  contents: ForeignContents,
  sector: Uint8Array,
  tracker: PhaseTracker,
): Promise<PushResult['foreign']> {
  const what = describeSector(contents)
  if (!options.onForeign) {
    throw new FlashdataError(
      'FOREIGN_DATA',
      `The board ${serial} holds ${what} in its data sector; nothing was erased.`,
      {
        details: { serial, contents },
      },
    )
  }
  const backup = await options.onForeign({ serial, contents, sector })
  tracker.message(`The sector held ${what}; saved it to ${backup} before overwriting it.`, 'warning')
  return { contents, backup }
}
