import { FlashdataError } from '../errors.js'
import { DfuseDevice } from '../dfu/dfuse.js'
import type { Board } from '../device/board.js'
import { enterDfuMode, type ModeSwitchMethod } from '../device/mode.js'
import type { BoardMode } from '../device/platforms.js'
import { selectBoard } from '../device/select.js'
import { sleep } from '../device/wait.js'
import { UDEV_HINT } from '../device/system-usb.js'
import type { UsbBusLike } from '../usb/types.js'
import type { PhaseTracker } from './events.js'
import { targetRange } from './target.js'

/** Options of every job that talks to one board. */
export interface BoardOptions {
  bus: UsbBusLike
  /** Serial number, case-insensitive; required when several boards are connected. */
  serial?: string
  /** Wait this long for the board to appear (0: it must be there now). */
  waitMs?: number
  /** Wait this long for a board to come back in DFU mode after switching it. */
  dfuTimeoutMs?: number
  /** Target another DfuSe board's 128 KiB at this address instead of the Electron's sector 9. */
  address?: number
  /** Per control transfer (default 5000 ms, enough for a sector erase that blocks the status request). */
  transferTimeoutMs?: number
  signal?: AbortSignal
}

export interface DfuSession {
  dfu: DfuseDevice
  board: Board
  /** The mode the board was in when found, so verify can put it back. */
  foundIn: BoardMode
  modeSwitch?: ModeSwitchMethod
}

function checkPlatform(board: Board, options: BoardOptions): void {
  if (!board.platform.refusal || options.address !== undefined) return
  throw new FlashdataError('WRONG_DEVICE', `The board ${board.info.serial} is a ${board.platform.label}, not an Electron or E-Series: ${board.platform.refusal}`, {
    hint: 'Connect an Electron or E-Series board, or choose it with --serial. To write another DfuSe board anyway, give the exact address with --address.',
    details: { board: board.info },
  })
}

function withUdevHint(error: unknown): never {
  if (error instanceof FlashdataError && error.code === 'USB_ACCESS') {
    throw new FlashdataError('USB_ACCESS', error.message, { hint: UDEV_HINT, details: error.details, cause: error })
  }
  throw error
}

/**
 * Finds the board, refuses the wrong kind before any traffic, switches it to
 * DFU mode if it runs firmware, and opens the DfuSe driver guarded to the
 * target sector: the driver refuses any erase or write outside it.
 */
export async function openDfuSession(options: BoardOptions, tracker: PhaseTracker): Promise<DfuSession> {
  let board = await tracker.run('connect', undefined, async () => {
    const found = await selectBoard(options.bus, options)
    tracker.serial = found.info.serial
    return found
  }, (b) => ({ detail: `${b.info.label} ${b.info.serial} (${b.info.mode === 'dfu' ? 'DFU mode' : 'running firmware'})` }))
  checkPlatform(board, options)
  const foundIn = board.info.mode
  let modeSwitch: ModeSwitchMethod | undefined
  if (foundIn === 'normal') {
    const switched = await tracker.run('mode-switch', undefined, () => enterDfuMode(options.bus, board, { timeoutMs: options.dfuTimeoutMs, signal: options.signal }), (r) => ({ detail: `via ${r.method}` }))
    board = switched.board
    modeSwitch = switched.method
  }
  const dfu = await DfuseDevice.open(board.device, { allowedRange: targetRange(options.address), timeoutMs: options.transferTimeoutMs }).catch(withUdevHint)
  return { dfu, board, foundIn, modeSwitch }
}

/** How long a board may take to drop off the bus after the leave request (the bootloader waits 500 ms). */
const LEAVE_RESET_MS = 3000

/**
 * Leaves DFU mode and waits until the board has really dropped off the bus,
 * so the next command cannot pick up a bootloader that is about to reset.
 */
export async function leaveDfuMode(bus: UsbBusLike, dfu: DfuseDevice, board: Board, tracker: PhaseTracker): Promise<void> {
  await tracker.run('leave', undefined, async () => {
    await dfu.leave()
    const deadline = Date.now() + LEAVE_RESET_MS
    while (Date.now() < deadline && (await bus.getDevices()).includes(board.device)) await sleep(20)
  })
}
