import { FlashdataError, isFlashdataError } from '../errors.js'
import { DfuseDevice } from '../dfu/dfuse.js'
import { checkPlan } from '../dfu/guard.js'
import { describeRange } from '../dfu/layout.js'
import { hex32 } from '../text.js'
import { DfuState } from '../dfu/protocol.js'
import type { Board } from '../device/board.js'
import { enterDfuMode, type ModeSwitchMethod } from '../device/mode.js'
import type { BoardMode } from '../device/platforms.js'
import { selectBoard } from '../device/select.js'
import { sleep } from '../device/wait.js'
import { BUS_POLL_MS, DFU_ACCESS_SETTLE_MS, LEAVE_GONE_MS, RESET_WAIT_MS, UNPLUG_GRACE_MS } from '../timeouts.js'
import type { UsbBusLike, UsbConnectionEvent, UsbDeviceLike } from '../usb/types.js'
import type { PhaseTracker } from './events.js'
import { DATA_SECTOR } from './target.js'
import type { JobPlan } from './plan.js'

/** Options of every job that talks to one board. */
/** The connect phase's line: which board, and the mode it was found in. */
export function describeFound(board: Board): { detail: string } {
  return {
    detail: `${board.info.label} ${board.info.serial} (${board.info.mode === 'dfu' ? 'in DFU mode' : 'running firmware'})`,
  }
}

/** How a board was switched to DFU mode, in words (the result keeps the method's code). */
const SWITCHED_WITH: Record<ModeSwitchMethod, string> = {
  'control-request': "switched with Device OS's DFU request (50)",
  'line-coding': 'switched with the 14400-baud serial setting',
}

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
  /** Per control transfer (default TRANSFER_MS in timeouts.ts, enough for a sector erase that blocks the status request). */
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
  if (!board.platform.refusal) {
    // On the Electron every other 128 KiB holds firmware: the bootloader, Device OS, the user application.
    if (options.address === undefined || options.address === DATA_SECTOR.start) return
    throw new FlashdataError(
      'BAD_OPTION',
      `--address ${hex32(options.address)} is refused on the ${board.platform.label} ${board.info.serial}: there flashdata writes only sector 9 (${describeRange(DATA_SECTOR.start, DATA_SECTOR.end)}); the rest of its flash holds firmware. Nothing was sent to the board.`,
      {
        details: { option: '--address', board: board.info, value: options.address },
      },
    )
  }
  if (options.address !== undefined) return
  throw new FlashdataError(
    'WRONG_DEVICE',
    `The board ${board.info.serial} is a ${board.platform.label}, not an Electron or E-Series: ${board.platform.refusal}`,
    {
      details: { board: board.info },
    },
  )
}

/**
 * Finds the board, refuses the wrong kind before any traffic, switches it to
 * DFU mode if it runs firmware, and opens the DfuSe driver guarded to the
 * target sector: the driver refuses any erase or write outside it.
 */
async function openOnce(
  options: BoardOptions,
  tracker: PhaseTracker,
  plan: JobPlan,
  afterReset = false,
): Promise<DfuSession> {
  let board = await tracker.run(
    'connect',
    undefined,
    async () => {
      const found = await selectBoard(options.bus, options)
      tracker.serial = found.info.serial
      return found
    },
    describeFound,
  )
  checkPlatform(board, options)
  const foundIn = board.info.mode
  let modeSwitch: ModeSwitchMethod | undefined
  let dfu: DfuseDevice
  try {
    if (foundIn === 'firmware') {
      const switched = await tracker.run(
        'mode-switch',
        undefined,
        () => enterDfuMode(options.bus, board, { timeoutMs: options.dfuTimeoutMs, signal: options.signal }),
        (r) => ({ detail: SWITCHED_WITH[r.method] }),
      )
      board = switched.board
      modeSwitch = switched.method
    }
    dfu = await openDfu(board, options, plan, modeSwitch !== undefined)
  } catch (error) {
    // Found just as it restarts (another command's leave request, a reset): nothing is erased or written yet; wait for it once.
    if (afterReset || !isRestarting(error)) throw error
    tracker.message('The board is restarting; waiting for it to come back.')
    await waitUntilGone(options.bus, board.device)
    return openOnce({ ...options, waitMs: Math.max(options.waitMs ?? 0, RESET_WAIT_MS) }, tracker, plan, true)
  }
  try {
    checkPlan(dfu, plan.operations) // the layout is known now: refuse before the first erase
  } catch (error) {
    await dfu.close()
    throw error
  }
  return { dfu, board, foundIn, modeSwitch }
}

async function openDfu(
  board: Board,
  options: BoardOptions,
  plan: JobPlan,
  reenumerated: boolean,
): Promise<DfuseDevice> {
  const deadline = Date.now() + (reenumerated ? DFU_ACCESS_SETTLE_MS : 0)
  for (;;) {
    try {
      return await DfuseDevice.open(board.device, { allowedRange: plan.target, timeoutMs: options.transferTimeoutMs })
    } catch (error) {
      if (!isFlashdataError(error, 'USB_ACCESS') || Date.now() >= deadline || options.signal?.aborted) throw error
      await sleep(BUS_POLL_MS)
    }
  }
}

/**
 * A board caught restarting as it was opened: the bootloader acknowledged a
 * leave request and resets within about 500 ms, or the device had already
 * left the bus (the listing that found it was a moment old).
 */
function isRestarting(error: unknown): boolean {
  if (isFlashdataError(error, 'DISCONNECTED')) return true
  const state = error instanceof FlashdataError && error.code === 'DFU_STATE' ? error.details?.state : undefined
  return state === DfuState.dfuMANIFEST || state === DfuState.dfuMANIFEST_WAIT_RESET
}

/** Opens the board for a job whose plan was checked against the input; the plan is checked against the board's layout too. */
export function openDfuSession(options: BoardOptions, tracker: PhaseTracker, plan: JobPlan): Promise<DfuSession> {
  return openOnce(options, tracker, plan)
}

/**
 * Leaves DFU mode: done when the bootloader acknowledges, as for dfu-util.
 * With `untilGone`, also waits until the board has dropped off the bus (the
 * jig does, so that the reset is not taken for an unplug).
 */
export async function leaveDfuMode(
  bus: UsbBusLike,
  dfu: DfuseDevice,
  board: Board,
  tracker: PhaseTracker,
  untilGone = false,
): Promise<void> {
  await tracker.run('leave', undefined, async () => {
    await dfu.leave()
    if (untilGone) await waitUntilGone(bus, board.device)
  })
}

/** Resolves true when the device has dropped off the bus (its disconnect event), false after `timeoutMs`. */
function waitUntilGone(bus: UsbBusLike, device: UsbDeviceLike, timeoutMs = LEAVE_GONE_MS): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let done = false
    // Cancelled when the device goes first, so no timer keeps the process alive after the job.
    const timer = new AbortController()
    const finish = (gone: boolean) => {
      if (done) return
      done = true
      timer.abort()
      bus.removeEventListener('disconnect', onDisconnect)
      resolve(gone)
    }
    const onDisconnect = (event: UsbConnectionEvent) => event.device === device && finish(true)
    bus.addEventListener('disconnect', onDisconnect)
    void bus.getDevices().then((devices) => devices.includes(device) || finish(true))
    void sleep(timeoutMs, timer.signal).then(() => finish(false))
  })
}

/**
 * Some stacks report a transfer cut by a pulled cable as a protocol error
 * (the `usb` package: EPROTO, "hardware fault or protocol violation"). If the
 * board has left the bus, the failure is a disconnect.
 */
export async function explainFailure(error: unknown, bus: UsbBusLike, device: UsbDeviceLike): Promise<unknown> {
  if (!(error instanceof FlashdataError) || error.code !== 'USB_TRANSFER') return error
  if (!(await waitUntilGone(bus, device, UNPLUG_GRACE_MS))) return error
  return new FlashdataError('DISCONNECTED', `The board was disconnected: ${error.message}`, {
    cause: error,
  })
}
