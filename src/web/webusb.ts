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

export const BROWSERS =
  'WebUSB works in Chrome, Edge, Opera and other Chromium browsers on Windows, macOS, Linux and Android; Firefox and Safari do not support it.'
/** udev/50-particle.rules' rule (a test keeps them equal): the page's users may have no flashdata to print it. */
const UDEV_RULE = 'SUBSYSTEM=="usb", ATTRS{idVendor}=="2b04", MODE="0664", GROUP="plugdev", TAG+="uaccess"'
const LINUX_HINT = `On Linux, allow your user to access Particle boards: echo '${UDEV_RULE}' | sudo tee /etc/udev/rules.d/50-particle.rules >/dev/null && sudo udevadm control --reload-rules && sudo udevadm trigger, then replug the board.`
const DRIVER_HINT = `${LINUX_HINT} On Windows, the board's DFU interface needs the WinUSB driver (install it with Zadig), and no other program (Particle CLI, dfu-util) may have it open.`

/** navigator.usb, its devices' failures typed by webUsbError. */
export function webUsb(): WebUsb {
  const usb = (navigator as Navigator & { usb?: WebUsb }).usb
  if (usb) return classifyingBus(usb, webUsbError)
  throw new FlashdataError('NO_DEVICE', 'This browser has no WebUSB, so the page cannot reach a board.', {
    hint: `${BROWSERS} Open this page in one of them, or press "Try without a board".`,
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
        {
          hint: 'Connect an Electron or E-Series board with a data USB cable, press Connect and choose it in the list.',
          details: { board: other.info },
        },
      )
    }
    throw new FlashdataError('NO_DEVICE', `${why} No board was chosen.`, {
      hint: `Connect the Electron with a data USB cable and choose it in the list. If it is not listed, it may not be an Electron or E-Series, or the system hides it: ${DRIVER_HINT}`,
    })
  }
}

/** The next step in the page's words, for failures whose CLI hint speaks of commands and files on disk. */
const PAGE_HINTS: Partial<Record<string, string>> = {
  DISCONNECTED:
    'Check the cable, press Connect and try again; an interrupted write is found and fixed by the next Write.',
  // WebUSB reports a transfer cut by a pulled cable this way too, when the browser has not yet seen the board go.
  USB_TRANSFER:
    'Check the cable (a short one, no unpowered hub), press Connect and try again; an interrupted write is found and fixed by the next Write.',
  TIMEOUT: 'The board stopped answering: unplug it and plug it in again, press Connect and try again.',
  USB_ACCESS: DRIVER_HINT,
  BUSY: "Another program has the board open (the Particle CLI, dfu-util, this page in another tab): close it, then try again. On Windows, the board's DFU interface also needs the WinUSB driver (install it with Zadig).",
}

/** Errors of WebUSB itself, and the jobs' errors, with the next step in the page. */
export function explainUsbError(error: unknown): unknown {
  if (error instanceof FlashdataError) {
    const hint = PAGE_HINTS[error.code]
    if (!hint) return error
    // The USB layer words a pulled cable as the transfer that failed: say what happened first.
    const message =
      error.code === 'DISCONNECTED' && !/disconnected:/.test(error.message)
        ? `The board was disconnected: ${error.message}`
        : error.message
    return new FlashdataError(error.code, message, { hint, details: error.details, cause: error })
  }
  if (!(error instanceof Error)) return error
  const kind = (error instanceof UsbError ? error : webUsbError(error, '')).kind
  if (kind === 'access') {
    return new FlashdataError('USB_ACCESS', `The browser may not open the board: ${error.message}`, {
      hint: DRIVER_HINT,
      cause: error,
    })
  }
  if (kind === 'disconnected' || error.name === 'NetworkError') {
    return new FlashdataError('DISCONNECTED', `The board went away: ${error.message}`, {
      hint: PAGE_HINTS.DISCONNECTED,
      cause: error,
    })
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
        {
          hint: 'Press Connect again and choose "Electron DFU Mode" (the LED blinks yellow). If it does not blink yellow: hold MODE, tap RESET, release MODE when it blinks yellow.',
        },
      )
    }
  }
  return { bus: usb, board, wasRunning }
}
