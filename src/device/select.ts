import { FlashdataError } from '../errors.js'
import type { UsbBusLike } from '../usb/types.js'
import { normalizeSerial, type Board, type BoardInfo } from './board.js'
import { sameBoard } from './identity.js'
import { filterBoards, listBoards, waitForBoard } from './wait.js'

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

export const SETTLE_MS = 3000

export const DFU_MODE_HOWTO =
  'To enter DFU mode by hand: hold MODE, tap RESET, and release MODE when the LED blinks yellow.'

export function describeBoard(info: BoardInfo): string {
  return `${info.label} ${info.serial || '(no serial)'} in ${info.mode === 'dfu' ? 'DFU mode' : 'firmware mode'}${info.path ? ` at ${info.path}` : ''}`
}

/** NO_DEVICE for a wanted board (any, or the serial asked for) that is not on the bus, naming the boards that are. */
export function noBoard(options: SelectOptions, present: Board[]): FlashdataError {
  const what = options.serial ? `No Particle board with serial ${normalizeSerial(options.serial)}` : 'No Particle board'
  const others = present.length ? ` (on USB: ${present.map((b) => describeBoard(b.info)).join('; ')})` : ''
  return new FlashdataError(
    'NO_DEVICE',
    `${what} found on USB${options.waitMs !== 0 ? ` within ${Math.round((options.waitMs ?? SETTLE_MS) / 1000)} s` : ''}${others}.`,
    {
      hint:
        options.serial && present.length
          ? `Check the serial (flashdata devices lists the boards above), or connect the board ${normalizeSerial(options.serial)}.`
          : `Connect the board with a data USB cable, or ${options.waitMs === undefined ? 'use --wait to wait for it' : 'wait longer with --wait <seconds>'}. ${DFU_MODE_HOWTO} flashdata doctor shows which boards the system sees, and why one cannot be used.`,
      details: { serial: options.serial, present: present.map((b) => b.info) },
    },
  )
}

/**
 * Picks the one board a command should talk to. Several matches without a
 * serial is an error that lists them: guessing could flash the wrong board.
 */
export async function selectBoard(bus: UsbBusLike, options: SelectOptions = {}): Promise<Board> {
  const matches = options.serial === undefined ? async () => true : sameBoard(options.serial)
  const waitMs = options.waitMs ?? SETTLE_MS
  // One look first: a board that is there needs no hot-plug listener and no second enumeration.
  let boards = await listBoards(bus)
  let found = await filterBoards(boards, matches)
  if (waitMs && found.length === 0) {
    await waitForBoard(bus, matches, waitMs, options.signal)
    boards = await listBoards(bus)
    found = await filterBoards(boards, matches)
  }
  if (found.length === 1) return found[0]
  if (found.length === 0) throw noBoard(options, boards)
  throw new FlashdataError(
    'AMBIGUOUS_DEVICE',
    `${found.length} Particle boards are connected; choose one with --serial:\n${found.map((b) => `    ${describeBoard(b.info)}`).join('\n')}`,
    {
      hint: 'Run flashdata devices to list them, then pass --serial <serial>.',
      details: { boards: found.map((b) => b.info) },
    },
  )
}
