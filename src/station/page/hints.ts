/**
 * What the operator at the station does next about a failed board, in the
 * station page's words: boards, the station and the person who runs it,
 * never a command line. Worded from the error's code (a record carries it).
 */

const AGAIN = 'Put the board back on the station to flash it again.'
const SET_ASIDE = 'Set the board aside and tell whoever runs the station:'

const HINTS: Record<string, string> = {
  DISCONNECTED: `Check the cable. ${AGAIN}`,
  USB_TRANSFER: `Check the cable (a short one, no unpowered hub). ${AGAIN}`,
  TIMEOUT: `The board stopped answering: unplug it and plug it in again. ${AGAIN}`,
  DFU_MODE_TIMEOUT:
    'Put the board into DFU mode by hand (hold MODE, tap RESET, release MODE when the LED blinks yellow); the station then flashes it.',
  MODE_SWITCH_FAILED:
    'Put the board into DFU mode by hand (hold MODE, tap RESET, release MODE when the LED blinks yellow); the station then flashes it.',
  VERIFY_MISMATCH: `${AGAIN} If it fails again, set it aside: its flash may be damaged.`,
  DFU_ERASE_FAILED: `${AGAIN} If it fails again, set it aside: its flash may be worn out.`,
  DFU_WRITE_FAILED: `${AGAIN} If it fails again, set it aside: its flash may be worn out.`,
  FOREIGN_DATA: `${SET_ASIDE} it holds data this station did not write, and the station leaves such data alone.`,
  WRONG_DEVICE: 'Take this board off the station: it is not an Electron or E-Series.',
  DEVICE_SERIAL_INVALID: 'Take this device off the station: it is not a genuine Electron (its USB serial is not one).',
  PER_BOARD_MISSING: `${SET_ASIDE} the station has no data of its own for this board.`,
  PER_BOARD_AMBIGUOUS: `${SET_ASIDE} the station has more than one folder of data for this board.`,
  GENERATE_FAILED: `${SET_ASIDE} preparing its data failed; the board was not touched.`,
  POOL_EXHAUSTED: 'The station has no data left to give: stop and tell whoever runs it.',
  LEDGER_FAILED: `${SET_ASIDE} the station could not record this board.`,
  USB_ACCESS: "Tell whoever runs the station: this computer may not open the station's boards.",
  BUSY: 'Another program has the board open: close it, then put the board back on the station.',
  INTERRUPTED: `The station stopped while this board was being flashed. ${AGAIN}`,
}

/** The next step for a board that failed with `code`. */
export function stationHint(code: string): string {
  return HINTS[code] ?? `${AGAIN} If it fails again, set it aside.`
}
