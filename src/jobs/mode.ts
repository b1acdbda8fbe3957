import { DfuseDevice } from '../dfu/dfuse.js'
import { resetFirmware } from '../device/firmware.js'
import { enterDfuMode } from '../device/mode.js'
import type { Board } from '../device/board.js'
import { selectBoard } from '../device/select.js'
import { PhaseTracker, type EventSink } from './events.js'
import { describeFound, leaveDfuMode, type BoardOptions } from './session.js'

export interface ModeJobOptions extends BoardOptions {
  onEvent?: EventSink
}

export interface ModeJobResult {
  serial: string
  /** False when the board already was in the wanted mode. */
  changed: boolean
  method?: string
}

/** Puts a board into DFU mode and waits for it there. */
export async function switchToDfu(options: ModeJobOptions): Promise<ModeJobResult> {
  const tracker = new PhaseTracker(options.onEvent)
  const board = await tracker.run('connect', undefined, () => selectBoard(options.bus, options), describeFound)
  tracker.serial = board.info.serial
  if (board.info.mode === 'dfu') return { serial: board.info.serial, changed: false }
  const { method } = await tracker.run('mode-switch', undefined, () =>
    enterDfuMode(options.bus, board, { timeoutMs: options.dfuTimeoutMs, signal: options.signal }),
  )
  return { serial: board.info.serial, changed: true, method }
}

/**
 * Restarts a board into its firmware: leaves DFU mode, or resets a board
 * running Device OS with its reset request (40). Done once the board has
 * accepted; it restarts right after.
 */
export async function resetBoard(options: ModeJobOptions): Promise<ModeJobResult> {
  const tracker = new PhaseTracker(options.onEvent)
  const board = await tracker.run('connect', undefined, () => selectBoard(options.bus, options), describeFound)
  tracker.serial = board.info.serial
  if (board.info.mode === 'dfu') return leave(options, board, tracker)
  await tracker.run('reset', undefined, () => resetFirmware(board))
  return { serial: board.info.serial, changed: true, method: 'control-request' }
}

async function leave(options: ModeJobOptions, board: Board, tracker: PhaseTracker): Promise<ModeJobResult> {
  const dfu = await DfuseDevice.open(board.device)
  try {
    await leaveDfuMode(options.bus, dfu, board, tracker)
  } finally {
    await dfu.close()
  }
  return { serial: board.info.serial, changed: true }
}
