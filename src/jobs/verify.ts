import { matchImage } from '../image/compare.js'
import { HEADER_SIZE, readHeader } from '../image/format.js'
import { fileData, parseImage, sectorImage, type ImageListing } from '../image/parse.js'
import { firstDifference } from './compare.js'
import { PhaseTracker, type EventSink, type PhaseTimes } from './events.js'
import { readSectorImage } from './read-image.js'
import { explainFailure, leaveDfuMode, openDfuSession, type BoardOptions } from './session.js'
import { planRead } from './plan.js'

export interface VerifyOptions extends BoardOptions {
  /** The image the board should hold; without it the sector is only checked for consistency. */
  expected?: Uint8Array
  /** Leave DFU mode afterwards even if the board was found in DFU mode. */
  leave?: boolean
  /** Time stamps must match too; by default the same files with other time stamps are a match. */
  exact?: boolean
  onEvent?: EventSink
}

export interface FileDifference {
  name: string
  reason: 'missing-on-board' | 'extra-on-board' | 'content' | 'metadata'
}

export interface VerifyResult {
  /** match: equals the expected image; valid: a consistent image (nothing expected); differs; no-image: blank or corrupt. */
  status: 'match' | 'valid' | 'differs' | 'no-image'
  serial: string
  listing: ImageListing
  /** A match whose time stamps differ from the expected image's (only without `exact`). */
  timeStampsDiffer: boolean
  /** First differing byte offset against the expected image. */
  firstDifference?: number
  differences: FileDifference[]
  phases: PhaseTimes
  totalMs: number
}

/** Which files differ between what the board holds and what was expected. */
export function diffFiles(
  board: Uint8Array,
  boardListing: ImageListing,
  expected: Uint8Array,
  expectedListing: ImageListing,
): FileDifference[] {
  const onBoard = new Map(boardListing.files.map((f) => [f.name, f]))
  const differences: FileDifference[] = []
  for (const want of expectedListing.files) {
    const have = onBoard.get(want.name)
    onBoard.delete(want.name)
    if (!have) differences.push({ name: want.name, reason: 'missing-on-board' })
    else if (firstDifference(fileData(board, have), fileData(expected, want)) !== -1)
      differences.push({ name: want.name, reason: 'content' })
    else if (have.modDate !== want.modDate || have.contentType !== want.contentType)
      differences.push({ name: want.name, reason: 'metadata' })
  }
  for (const name of onBoard.keys()) differences.push({ name, reason: 'extra-on-board' })
  // Same files, other bytes: the header differs (build time, alignment).
  if (differences.length === 0) differences.push({ name: '(header)', reason: 'metadata' })
  return differences
}

/**
 * Reads the data sector and checks it, against an expected image when one is
 * given. The board is left in the mode it was found in, unless asked to leave.
 */
export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  // What push would write: the expected image without any 0xFF padding of its file.
  const wanted = options.expected ? sectorImage(options.expected) : undefined
  const expected = wanted?.image
  const expectedListing = wanted?.listing
  const plan = planRead(options.address)
  const tracker = new PhaseTracker(options.onEvent)
  const session = await openDfuSession(options, tracker, plan)
  const { dfu } = session
  let bytes: Uint8Array
  try {
    bytes = await readSectorImage(dfu, plan.target.start, tracker, { atLeast: expected?.length })
    if (options.leave || session.foundIn === 'firmware') await leaveDfuMode(options.bus, dfu, session.board, tracker)
  } catch (error) {
    throw await explainFailure(error, options.bus, session.board.device)
  } finally {
    await dfu.close()
  }
  // The board's own image: bytes read past its end (to compare with a longer expected one) are not part of it.
  const { totalSize } = readHeader(bytes)
  const listing = parseImage(
    totalSize >= HEADER_SIZE && totalSize < bytes.length ? bytes.subarray(0, totalSize) : bytes,
  )
  const base = {
    serial: session.board.info.serial,
    listing,
    phases: tracker.times,
    totalMs: tracker.totalMs,
    timeStampsDiffer: false,
  }
  if (!expected || !expectedListing) {
    return { ...base, status: listing.valid ? 'valid' : 'no-image', differences: [] }
  }
  const match = matchImage(bytes, expected)
  if (match === 'identical') return { ...base, status: 'match', differences: [] }
  if (match === 'time-stamps' && !options.exact)
    return { ...base, status: 'match', timeStampsDiffer: true, differences: [] }
  const at = firstDifference(bytes.subarray(0, expected.length), expected)
  const differences = listing.valid ? diffFiles(bytes, listing, expected, expectedListing) : []
  return { ...base, status: listing.valid ? 'differs' : 'no-image', firstDifference: at, differences }
}
