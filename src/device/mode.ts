import { FlashdataError } from '../errors.js'
import type { UsbBusLike, UsbDeviceLike } from '../usb/types.js'
import type { Board } from './board.js'
import { DFU_MODE_HOWTO } from './select.js'
import { sleep, waitForBoard } from './wait.js'

/** Particle control request 50 (Device OS 0.8.0 and later): reset into DFU mode. */
const CTRL_REQUEST_DFU_MODE = 50
const VENDOR_INIT = 1
const VENDOR_CHECK = 2
const ReplyStatus = { OK: 0, PENDING: 2, BUSY: 3 } as const
/** PUSB's CHECK back-off, in ms. */
const CHECK_BACKOFF = [50, 50, 100, 100, 250, 250, 500, 500, 1000]
/** The CDC trick: a running board resets into DFU mode when its port is set to 14400 baud. */
const DFU_BAUD = 14400
const SAFE_BAUD = 9600
/** How long a board gets to vanish after 14400 baud before the port is put back to 9600. */
const LINE_CODING_GRACE_MS = 3000
const REQUEST_TIMEOUT_MS = 2000

export type ModeSwitchMethod = 'control-request' | 'line-coding'

export interface ModeSwitchOptions {
  /** How long to wait for the board to come back in DFU mode. */
  timeoutMs?: number
  signal?: AbortSignal
}

interface Reply { status: number; id: number }

function parseReply(data: DataView | undefined): Reply | undefined {
  if (!data || data.byteLength < 6) return undefined
  return { status: data.getUint16(4, true), id: data.byteLength >= 8 ? data.getUint16(6, true) : 0 }
}

async function vendorIn(device: UsbDeviceLike, request: number, index: number): Promise<Reply | undefined> {
  const result = await device.controlTransferIn({ requestType: 'vendor', recipient: 'device', request, value: 0, index }, 64, REQUEST_TIMEOUT_MS)
  return result.status === 'ok' ? parseReply(result.data) : undefined
}

/** Sends request 50 and polls for its completion; false when the firmware does not support it. */
async function controlRequestDfu(device: UsbDeviceLike): Promise<boolean> {
  const init = await vendorIn(device, VENDOR_INIT, CTRL_REQUEST_DFU_MODE)
  if (!init || (init.status !== ReplyStatus.OK && init.status !== ReplyStatus.PENDING)) return false
  if (init.status === ReplyStatus.OK && init.id === 0) return true
  for (const delay of CHECK_BACKOFF) {
    await sleep(delay)
    const check = await vendorIn(device, VENDOR_CHECK, init.id)
    if (check?.status === ReplyStatus.OK) return true
    if (!check || (check.status !== ReplyStatus.PENDING && check.status !== ReplyStatus.BUSY)) return false
  }
  return false
}

function lineCoding(baud: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(7)
  new DataView(data.buffer).setUint32(0, baud, true)
  data[6] = 8 // 8 data bits, 1 stop bit, no parity
  return data
}

/**
 * Control transfers go through a claimed interface on some stacks (the `usb`
 * package's among them). The CDC interface may be held by the OS's serial
 * driver: detach it where the transport can.
 */
async function claim(device: UsbDeviceLike, interfaceNumber: number): Promise<void> {
  const detach = (device as { detachKernelDriver?: (n: number) => Promise<void> }).detachKernelDriver
  await detach?.call(device, interfaceNumber).catch(() => {})
  await device.claimInterface(interfaceNumber).catch(() => {})
}

/** The vendor-specific interface of Device OS's composite device (control requests). */
function vendorInterface(device: UsbDeviceLike): number {
  const vendor = device.configuration?.interfaces.find((i) => i.alternate.interfaceClass === 0xff)
  return vendor?.interfaceNumber ?? 2
}

/** CDC SET_LINE_CODING on the Serial interface (0). The board may reset before the status stage. */
async function setLineCoding(device: UsbDeviceLike, baud: number): Promise<void> {
  await claim(device, 0)
  await device.controlTransferOut({ requestType: 'class', recipient: 'interface', request: 0x20, value: 0, index: 0 }, lineCoding(baud), REQUEST_TIMEOUT_MS).catch(() => {})
}

/**
 * Switches a board running firmware into DFU mode and waits for it to come
 * back on the bus with the same serial. Tries control request 50 first, then
 * the 14400-baud trick for older Device OS.
 */
export async function enterDfuMode(bus: UsbBusLike, board: Board, options: ModeSwitchOptions = {}): Promise<{ board: Board; method: ModeSwitchMethod }> {
  if (board.info.mode === 'dfu') return { board, method: 'control-request' }
  const serial = board.info.serial
  const timeoutMs = options.timeoutMs ?? 60_000
  const isDfu = (b: Board) => b.info.serial === serial && b.info.mode === 'dfu'
  const device = board.device
  let method: ModeSwitchMethod = 'control-request'
  try {
    if (!device.opened) await device.open()
    await claim(device, vendorInterface(device))
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
  throw new FlashdataError('DFU_MODE_TIMEOUT', `The board ${serial} did not come back in DFU mode within ${Math.round(timeoutMs / 1000)} s after the switch (${method}).`, {
    hint: `${DFU_MODE_HOWTO} Then run the command again.`,
    details: { serial, method, timeoutMs },
  })
}
