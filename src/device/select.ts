import { FlashdataError } from '../errors.js'
import { BOARD_SETTLE_MS } from '../timeouts.js'
import type { UsbBusLike } from '../usb/types.js'
import { normalizeSerial, type Board, type BoardInfo, type RefusedBoard } from './board.js'
import { sameBoard } from './identity.js'
import { SERIAL_RULE } from './serial.js'
import { filterBoards, surveyBus, waitForBoard } from './wait.js'

export interface SelectOptions {
  /** Serial number or device id to match, case-insensitive (see identity.ts). */
  serial?: string
  /**
   * How long to wait for a matching board to appear; 0 = look once. By
   * default a few seconds, so a board still restarting from the previous
   * command (leave, mode switch) is found.
   */
  waitMs?: number
  signal?: AbortSignal
}

export function describeBoard(info: BoardInfo): string {
  return `${info.label} ${info.serial} in ${info.mode === 'dfu' ? 'DFU mode' : 'firmware mode'}${info.path ? ` at ${info.path}` : ''}`
}

/** A refused board in a list of boards: its serial escaped, and why it is never used. */
export function describeRefused(board: RefusedBoard): string {
  return `${describeBoard(board.info as BoardInfo)}, refused (its USB serial is not ${SERIAL_RULE})`
}

const describeAll = (present: Board[], refused: RefusedBoard[]) => [
  ...present.map((b) => describeBoard(b.info)),
  ...refused.map(describeRefused),
]

/** NO_DEVICE for a wanted board (any, or the serial asked for) that is not on the bus, naming the boards that are. */
export function noBoard(options: SelectOptions, present: Board[], refused: RefusedBoard[] = []): FlashdataError {
  const what = options.serial ? `No Particle board with serial ${normalizeSerial(options.serial)}` : 'No Particle board'
  const listed = describeAll(present, refused)
  const others = listed.length ? ` (on USB: ${listed.join('; ')})` : ''
  return new FlashdataError(
    'NO_DEVICE',
    `${what} found on USB${options.waitMs !== 0 ? ` within ${Math.round((options.waitMs ?? BOARD_SETTLE_MS) / 1000)} s` : ''}${others}.`,
    {
      details: {
        serial: options.serial,
        waitGiven: options.waitMs !== undefined,
        present: present.map((b) => b.info),
        ...(refused.length ? { refused: refused.map((b) => b.info) } : {}),
      },
    },
  )
}

/**
 * Picks the one board a command should talk to. Several matches without a
 * serial is an error that lists them: guessing could flash the wrong board.
 * Without --serial a board refused for its serial is one of the boards
 * there: alone, it is refused (DEVICE_SERIAL_INVALID) before any traffic;
 * beside others, the choice is ambiguous.
 */
export async function selectBoard(bus: UsbBusLike, options: SelectOptions = {}): Promise<Board> {
  const matches = options.serial === undefined ? async () => true : sameBoard(options.serial)
  const waitMs = options.waitMs ?? BOARD_SETTLE_MS
  const look = async () => {
    const { boards, refused } = await surveyBus(bus)
    return { boards, refused, found: await filterBoards(boards, matches) }
  }
  // One look first: a board that is there needs no hot-plug listener and no second enumeration.
  let seen = await look()
  const candidates = () => [...seen.found, ...(options.serial === undefined ? seen.refused : [])]
  if (waitMs && candidates().length === 0) {
    await waitForBoard(bus, matches, waitMs, options.signal)
    seen = await look()
  }
  const { found, refused } = seen
  if (candidates().length === 0) throw noBoard(options, seen.boards, refused)
  if (candidates().length === 1) {
    if (found.length === 1) return found[0]
    throw refused[0].error
  }
  throw ambiguous(found, options.serial, options.serial === undefined ? refused : [])
}

/**
 * Several boards match: with no --serial, pass one; when they match the one
 * given, they share it (or a device id) and only unplugging tells them apart.
 */
export function ambiguous(found: Board[], serial?: string, refused: RefusedBoard[] = []): FlashdataError {
  const list = describeAll(found, refused)
    .map((line) => `    ${line}`)
    .join('\n')
  return new FlashdataError(
    'AMBIGUOUS_DEVICE',
    serial === undefined
      ? `${found.length + refused.length} Particle boards are connected; choose one with --serial:\n${list}`
      : `${found.length} Particle boards answer to ${normalizeSerial(serial)} (they share a serial or device id), and nothing else tells them apart:\n${list}`,
    {
      details: {
        serial,
        boards: found.map((b) => b.info),
        ...(refused.length ? { refused: refused.map((b) => b.info) } : {}),
      },
    },
  )
}
