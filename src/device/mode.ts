import { FlashdataError } from '../errors.js'
import { DFU_SWITCH_MS, FIRMWARE_REQUEST_MS, LINE_CODING_GRACE_MS } from '../timeouts.js'
import type { UsbBusLike, UsbDeviceLike } from '../usb/types.js'
import type { Board } from './board.js'
import { claim, CTRL_REQUEST, openForControl, sendControlRequest } from './control.js'
import { requestDeviceId } from './firmware.js'
import { waitForBoard } from './wait.js'

/** The CDC trick: a running board resets into DFU mode when its port is set to 14400 baud. */
const DFU_BAUD = 14400
const SAFE_BAUD = 9600

export type ModeSwitchMethod = 'control-request' | 'line-coding'

export interface ModeSwitchOptions {
  /** How long to wait for the board to come back in DFU mode. */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Sends request 50; false when the firmware does not take it (no channel, or a result other than 0). */
async function controlRequestDfu(device: UsbDeviceLike): Promise<boolean> {
  const reply = await sendControlRequest(device, CTRL_REQUEST.DFU_MODE)
  return reply?.result === 0
}

function lineCoding(baud: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(7)
  new DataView(data.buffer).setUint32(0, baud, true)
  data[6] = 8 // 8 data bits, 1 stop bit, no parity
  return data
}

/** CDC SET_LINE_CODING on the Serial interface (0). The board may reset before the status stage. */
async function setLineCoding(device: UsbDeviceLike, baud: number): Promise<void> {
  await claim(device, 0)
  await device
    .controlTransferOut(
      { requestType: 'class', recipient: 'interface', request: 0x20, value: 0, index: 0 },
      lineCoding(baud),
      FIRMWARE_REQUEST_MS,
    )
    .catch(() => {})
}

/**
 * Switches a board running firmware into DFU mode and waits for it to come
 * back on the bus as the same board: in DFU mode its serial is its device id,
 * which the firmware is asked for first (request 20; a board that does not
 * answer must come back with the serial it has now). Tries control request
 * 50 first, then the 14400-baud trick for older Device OS.
 */
export async function enterDfuMode(
  bus: UsbBusLike,
  board: Board,
  options: ModeSwitchOptions = {},
): Promise<{ board: Board; method: ModeSwitchMethod }> {
  if (board.info.mode === 'dfu') return { board, method: 'control-request' }
  const serial = board.info.serial
  const timeoutMs = options.timeoutMs ?? DFU_SWITCH_MS
  const device = board.device
  let method: ModeSwitchMethod = 'control-request'
  let deviceId: string | undefined
  const isDfu = (b: Board) => b.info.mode === 'dfu' && (b.info.serial === serial || b.info.serial === deviceId)
  try {
    await openForControl(device)
    deviceId = await requestDeviceId(device).catch(() => undefined)
    // A transfer error here means the board is already resetting: request 50 worked.
    const accepted = await controlRequestDfu(device).catch(() => true)
    if (!accepted) {
      method = 'line-coding'
      await setLineCoding(device, DFU_BAUD)
      const early = await waitForBoard(bus, isDfu, Math.min(LINE_CODING_GRACE_MS, timeoutMs), options.signal)
      if (early) return { board: early, method }
      // Still running: put the port back, so a later open does not reset it unexpectedly.
      if (device.opened) await setLineCoding(device, SAFE_BAUD)
    }
  } finally {
    await device.close().catch(() => {})
  }
  const found = await waitForBoard(bus, isDfu, timeoutMs, options.signal)
  if (found) return { board: found, method }
  throw new FlashdataError(
    'DFU_MODE_TIMEOUT',
    `The board ${serial} did not come back in DFU mode within ${Math.round(timeoutMs / 1000)} s after the switch (${method}).`,
    {
      details: { serial, deviceId, method, timeoutMs },
    },
  )
}
