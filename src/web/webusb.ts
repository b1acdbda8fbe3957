/**
 * navigator.usb as the jobs' bus (WebUSB is the shape src/usb/types.ts
 * follows), and the page's Connect: a board the browser may already use,
 * else the chooser; a board running firmware is switched to DFU mode with the
 * CLI's own code, and the DFU-mode board, a new USB device, may need a
 * second permission.
 */
import { FlashdataError } from '../errors.js'
import { describeBoards, surveyBoards, type Board } from '../device/board.js'
import { enterDfuMode } from '../device/mode.js'
import { PARTICLE_VENDOR_ID, PLATFORMS } from '../device/platforms.js'
import { WEB_DFU_SWITCH_MS } from '../timeouts.js'
import { classifyingBus, classifyingDevice } from '../usb/classifying.js'
import { UsbError } from '../usb/errors.js'
import type { UsbBusLike, UsbDeviceLike } from '../usb/types.js'
import { webUsbError } from '../usb/webusb-errors.js'

interface WebUsb extends UsbBusLike {
  requestDevice(options: { filters: { vendorId: number; productId: number }[] }): Promise<UsbDeviceLike>
}

const ELECTRON = PLATFORMS.find((p) => p.name === 'electron')!
const FILTERS = [ELECTRON.firmwareProductId, ELECTRON.dfuProductId].map((productId) => ({
  vendorId: PARTICLE_VENDOR_ID,
  productId,
}))

/** navigator.usb, its devices' failures typed by webUsbError. */
export function webUsb(): WebUsb {
  const usb = (navigator as Navigator & { usb?: WebUsb }).usb
  if (usb) return classifyingBus(usb, webUsbError)
  throw new FlashdataError('NO_DEVICE', 'This browser has no WebUSB, so the page cannot reach a board.', {
    details: { webUsb: false },
  })
}

/**
 * The chooser, for the Electron's two USB identities; cancelling it is a
 * message with the usual causes, or names the other Particle board the
 * browser may use (the chooser does not list it).
 */
async function chooseBoard(usb: WebUsb, why: string, others: Board[]): Promise<Board> {
  try {
    const { boards, refused } = surveyBoards([
      classifyingDevice(await usb.requestDevice({ filters: FILTERS }), webUsbError),
    ])
    if (boards[0]) return boards[0]
    throw refused[0].error
  } catch (error) {
    if ((error as Error).name !== 'NotFoundError') throw error
    const other = others[0]
    if (other) {
      throw new FlashdataError(
        'WRONG_DEVICE',
        `The board ${other.info.serial} is a ${other.info.label}, not an Electron or E-Series: ${other.platform.refusal}`,
        { details: { board: other.info } },
      )
    }
    throw new FlashdataError('NO_DEVICE', `${why} No board was chosen.`)
  }
}

/** A failure of WebUSB itself (a DOMException) as one of ours, typed by its kind; ours pass through. */
export function explainUsbError(error: unknown): unknown {
  if (error instanceof FlashdataError || !(error instanceof Error)) return error
  const kind = (error instanceof UsbError ? error : webUsbError(error, '')).kind
  if (kind === 'access') {
    return new FlashdataError('USB_ACCESS', `The browser may not open the board: ${error.message}`, { cause: error })
  }
  if (kind === 'disconnected' || error.name === 'NetworkError') {
    return new FlashdataError('DISCONNECTED', `The board went away: ${error.message}`, { cause: error })
  }
  return error
}

/**
 * A real board in DFU mode, ready for the jobs (they find it on navigator.usb
 * by serial); `wasRunning`: it was found running firmware, so the page may
 * see it in that mode too.
 */
export async function connectBoard(): Promise<{ bus: UsbBusLike; board: Board; wasRunning: boolean }> {
  const usb = webUsb()
  const boards = describeBoards(await usb.getDevices())
  const permitted = boards.filter((b) => b.platform === ELECTRON)
  let board =
    permitted.find((b) => b.info.mode === 'dfu') ??
    permitted[0] ??
    (await chooseBoard(
      usb,
      'The browser has no permission for a board yet.',
      boards.filter((b) => b.platform !== ELECTRON),
    ))
  const wasRunning = board.info.mode === 'firmware'
  if (wasRunning) {
    try {
      board = (await enterDfuMode(usb, board, { timeoutMs: WEB_DFU_SWITCH_MS })).board
    } catch (error) {
      if (!(error instanceof FlashdataError) || error.code !== 'DFU_MODE_TIMEOUT') throw error
      throw new FlashdataError(
        'DFU_MODE_TIMEOUT',
        `The board ${board.info.serial} was switched to DFU mode; in DFU mode it is a new USB device that the browser needs permission for.`,
        { details: error.details, cause: error },
      )
    }
  }
  return { bus: usb, board, wasRunning }
}
