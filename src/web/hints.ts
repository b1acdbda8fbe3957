/**
 * What to do next, in the page's words: its buttons, the board's buttons and
 * the browser, never a command-line option. Worded from the error's code and
 * facts; codes the page cannot meet fall back to the step every failure allows.
 */

import { DFU_MODE_HOWTO } from '../device/platforms.js'
import type { ErrorCode, ErrorDetails, FlashdataError } from '../errors.js'
import { ENTRY_SIZE, SECTOR_SIZE } from '../image/format.js'
import { bytes, sizedList } from '../text.js'

export const BROWSERS =
  'WebUSB works in Chrome, Edge, Opera and other Chromium browsers on Windows, macOS, Linux and Android; Firefox and Safari do not support it.'
/** udev/50-particle.rules' rule (a test keeps them equal): the page's users may have no flashdata to print it. */
const UDEV_RULE = 'SUBSYSTEM=="usb", ATTRS{idVendor}=="2b04", MODE="0664", GROUP="plugdev", TAG+="uaccess"'
const LINUX_HINT = `On Linux, allow your user to access Particle boards: echo '${UDEV_RULE}' | sudo tee /etc/udev/rules.d/50-particle.rules >/dev/null && sudo udevadm control --reload-rules && sudo udevadm trigger, then replug the board.`
const DRIVER_HINT = `${LINUX_HINT} On Windows, the board's DFU interface needs the WinUSB driver (install it with Zadig), and no other program (Particle CLI, dfu-util) may have it open.`
const RECONNECT = 'Unplug the board and plug it in again, press Connect and try again.'
const CHOOSE_FILES = 'Choose other files, or leave this one out of the folder.'
const FIXED_BY_WRITE = 'an interrupted write is found and fixed by the next Write.'

type Hint<C extends ErrorCode> = string | ((facts: Partial<ErrorDetails[C]>) => string)

const HINTS: { [C in ErrorCode]?: Hint<C> } = {
  NO_DEVICE: (f) =>
    f.webUsb === false
      ? `${BROWSERS} Open this page in one of them, or press "Try without a board".`
      : `Connect the Electron with a data USB cable and choose it in the list. If it is not listed, it may not be an Electron or E-Series, or the system hides it: ${DRIVER_HINT}`,
  WRONG_DEVICE: 'Connect an Electron or E-Series board with a data USB cable, press Connect and choose it in the list.',
  DEVICE_SERIAL_INVALID:
    'Unplug this device: a genuine Electron reports its device id (24 hex digits) as its USB serial. Connect an Electron and press Connect.',
  USB_ACCESS: DRIVER_HINT,
  BUSY: "Another program has the board open (the Particle CLI, dfu-util, this page in another tab): close it, then try again. On Windows, the board's DFU interface also needs the WinUSB driver (install it with Zadig).",
  DISCONNECTED: `Check the cable, press Connect and try again; ${FIXED_BY_WRITE}`,
  // WebUSB reports a transfer cut by a pulled cable this way too, when the browser has not yet seen the board go.
  USB_TRANSFER: `Check the cable (a short one, no unpowered hub), press Connect and try again; ${FIXED_BY_WRITE}`,
  TIMEOUT: `The board stopped answering: ${RECONNECT}`,
  DFU_MODE_TIMEOUT: `Press Connect again and choose "Electron DFU Mode" (the LED blinks yellow). If it does not blink yellow: ${DFU_MODE_HOWTO}`,
  MODE_SWITCH_FAILED: `${DFU_MODE_HOWTO} Then press Connect and choose "Electron DFU Mode".`,
  FOREIGN_DATA:
    'Press Read to save a copy of the sector. The page never overwrites data it did not write: if this data may go, overwrite it with flashdata on a computer, which saves a backup of it first.',
  VERIFY_MISMATCH: `Press Write to write it again; if it fails at the same place again, the board's flash is damaged.`,
  IMAGE_BLANK: 'Choose a folder of files and press Write to put an image on the board.',
  NO_IMAGE_ON_DEVICE: 'Choose a folder of files and press Write to put an image on the board.',
  IMAGE_INVALID:
    "Choose an image made by flashdata build or pull, or by the page's Read, or choose the folder of files.",
  DFU_FILE_INVALID: 'Choose the image file itself, or the folder of files it was built from.',
  IMAGE_TOO_LARGE: (f) => {
    if (f.role === 'file') return 'Take the file out of the folder, or shrink it.'
    if (f.role)
      return "Choose an image made by flashdata build or pull, or by the page's Read: images are at most one sector."
    if (f.over !== undefined && f.largest)
      return `Take files out of the folder or shrink them to free at least ${bytes(f.over)} (each file also takes ${ENTRY_SIZE} bytes of the table). Largest: ${sizedList(f.largest)}.`
    return `Take files out of the folder or shrink them: the sector holds ${bytes(SECTOR_SIZE)}.`
  },
  INPUT_EMPTY: 'Choose a folder that holds at least one file.',
  INPUT_DATE_OUT_OF_RANGE: "Change the file's date (save it again), or leave it out of the folder.",
  INPUT_PACKED_TWICE: CHOOSE_FILES,
  NAME_TOO_LONG: 'Rename the file or move it to a shorter folder path (the whole path counts).',
  NAME_INVALID:
    'Rename the file or the folder so that each stored name is a plain relative path, and no name is also a folder.',
  CONTENT_TYPE_TOO_LONG: 'Give the file an extension with a shorter content type, or none.',
  DUPLICATE_NAME: 'Rename one of the files so that each stored name is unique.',
  INPUT_UNREADABLE: CHOOSE_FILES,
  DFU_ERASE_FAILED: 'Press Write again; if the erase keeps failing, the flash sector may be worn out.',
  DFU_WRITE_FAILED: 'Press Write again; if the write keeps failing, the flash sector may be worn out.',
  DFU_LAYOUT:
    "This board's bootloader describes its flash in an unexpected way: update its bootloader, or report it with the board's details.",
  ADDRESS_REFUSED: "This board's bootloader does not offer its data sector: update its bootloader.",
  INTERNAL: 'Reload the page and try again; if it persists, report it with this message.',
}

/** The next step for `error`, in the page's words. */
export function pageHint(error: FlashdataError): string {
  const hint = HINTS[error.code] as Hint<ErrorCode> | undefined
  if (hint === undefined) return RECONNECT
  return typeof hint === 'string' ? hint : hint((error.details ?? {}) as Partial<ErrorDetails[ErrorCode]>)
}
