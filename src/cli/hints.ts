/**
 * What to do next, in the command line's words: one entry per error code,
 * worded from the error's facts (its details). The core raises facts only;
 * the web page and the station page word their own (web/hints.ts,
 * station/page/hints.ts). A code without an entry here does not compile.
 */

import { DFU_MODE_HOWTO } from '../device/platforms.js'
import { type ErrorCode, type ErrorDetails, FlashdataError, type Output } from '../errors.js'
import type { JigRecord, JobEvent } from '../jobs/events.js'
import { ENTRY_SIZE, SECTOR_SIZE } from '../image/format.js'
import { bytes, formatBytes, sizedList } from '../text.js'

/** Installs flashdata's udev rule however flashdata was installed (npm -g, npx, a clone, the executable). */
export const UDEV_INSTALL_COMMAND =
  'flashdata udev | sudo tee /etc/udev/rules.d/50-particle.rules >/dev/null && sudo udevadm control --reload-rules && sudo udevadm trigger'

const UDEV_HINT = `On Linux, allow your user to access Particle boards: ${UDEV_INSTALL_COMMAND}, then replug the board. flashdata doctor checks USB access.`

/** An error the CLI itself raises, with a next step only it can word (its own options and examples). */
export class CliError<C extends ErrorCode = ErrorCode> extends FlashdataError<C> {
  constructor(
    code: C,
    message: string,
    readonly hint: string,
    options: { details?: ErrorDetails[C]; cause?: unknown } = {},
  ) {
    super(code, message, options)
  }
}

const WRONG_TYPE_HINTS: Record<Output, string> = {
  image: 'Give the path of a new or existing regular file, or "-" for standard output.',
  report: 'Give the path of a new or existing regular file.',
  'extract-folder': 'Give a folder (created if missing) for the extracted files.',
  'in-extract': 'Move it out of the way, or extract into another (new) folder.',
  'backup-dir': 'Give a folder (created if missing) with --backup-dir.',
}

type Hint<C extends ErrorCode> = string | ((facts: Partial<ErrorDetails[C]>) => string)

const EMULATOR_SIDE_FILE = {
  serial: 'the board then reports the serial its file name gives',
  mode: 'the board then starts running its firmware',
} as const
const FRESH_EMULATOR = 'Point the emulator at a new path or an empty file to start from a factory-fresh board.'

const BAD_OPTION_HINTS: Record<string, string> = {
  '--address': 'Leave out --address: on an Electron or E-Series the target is always sector 9.',
  SOURCE_DATE_EPOCH: 'Set it to a number such as 1700000000, or unset it.',
  FLASHDATA_EMULATOR_TIMING: 'Set it to datasheet (real flash timing) or instant, or unset it.',
  FLASHDATA_EMULATOR_MODE:
    'Set it to dfu (in DFU mode) or firmware (running its firmware), or unset it to keep the mode the last command left.',
  FLASHDATA_EMULATOR_FAIL_WRITE: 'Set it to 1 for the first block write, 2 for the second, and so on, or unset it.',
  '--repair-ledger': 'Fix the rows the error names in the table flashdata_rows, or start without --repair-ledger.',
  '--nul-terminate':
    'Patterns match stored names such as certs/ca.pem; one without "/" also matches base names (*.pem). Run flashdata inspect <folder> to list them.',
}

const HINTS: { [C in ErrorCode]: Hint<C> } = {
  BAD_OPTION: (f) => {
    if (f.option === '--address' && f.target) return "Give --address the start of a 128 KiB area of the board's flash."
    if (f.option === '--nul-terminate' && f.path)
      return 'Build the image with flashdata build --nul-terminate, or push the folder with the option.'
    if (f.option && BAD_OPTION_HINTS[f.option]) return BAD_OPTION_HINTS[f.option]
    if (f.port !== undefined) {
      const host = f.option === '--ui' ? '--ui-host' : '--host'
      return `Choose another port with ${f.option}, or ${f.option} 0 for a free one; ${host} must be an address of this machine.`
    }
    return 'Run flashdata <command> --help for the options and their values.'
  },
  INPUT_NOT_FOUND: (f) =>
    f.what === 'job'
      ? 'Fix the path; the station did not start and touched no board.'
      : f.what === 'web-build'
        ? 'Build the pages with npm run build.'
        : 'Check the path; give a folder of files or an image file.',
  INPUT_NOT_DIRECTORY: (f) =>
    f.what === 'common-folder'
      ? 'Give the folder the common image is built from.'
      : 'Give a folder here, or the file itself where a file is expected.',
  INPUT_EMPTY:
    'Put the files to pack into the folder (version-control folders are skipped; --no-ignore-vcs packs them).',
  INPUT_UNREADABLE: (f) =>
    f.sideFile
      ? `Make it readable, or remove it: ${EMULATOR_SIDE_FILE[f.sideFile]}.`
      : f.flashFile
        ? FRESH_EMULATOR
        : "Check the file's permissions (ls -l) and that it is not being written right now.",
  INPUT_SPECIAL_FILE: (f) =>
    f.sideFile === 'lock'
      ? `If no flashdata command is using the board, remove it (rm -r '${f.path}') and run this one again.`
      : f.sideFile
        ? `Remove it (rm -r '${f.path}'): ${EMULATOR_SIDE_FILE[f.sideFile]}.`
        : f.flashFile
          ? FRESH_EMULATOR
          : f.image
            ? 'Give an image file made by flashdata build or pull, or a folder of files to pack.'
            : 'Pack regular files only: copy the data into a regular file, or leave it out with --exclude.',
  INPUT_SYMLINK_ESCAPE: 'Copy the file into the folder instead of linking to it, or leave it out with --exclude.',
  INPUT_DATE_OUT_OF_RANGE: (f) =>
    f.mtime !== undefined && f.max !== undefined && f.mtime > f.max
      ? "Give a build time with --epoch <seconds> or SOURCE_DATE_EPOCH (newer file times are clamped to it), or set the file's date (touch it)."
      : "Set the file's date (touch it) and pack again; --epoch and SOURCE_DATE_EPOCH only clamp newer times.",
  INPUT_PACKED_TWICE: (f) =>
    f.excludes?.length
      ? `Pack it once: ${f.excludes.map((pattern) => `--exclude '${pattern}'`).join(', or ')}.`
      : 'Give each folder or file once.',
  NAME_TOO_LONG: 'Rename the file or move it to a shorter folder path (the whole path counts).',
  NAME_INVALID: (f) =>
    f.names
      ? 'Rename the file or the folder so that no stored name is also a folder.'
      : f.nameHex
        ? 'Rename it (for example with convmv) or leave it out with --exclude.'
        : 'Names are relative paths with "/" between parts, without empty, "." or ".." parts, backslashes or control characters: rename the file.',
  CONTENT_TYPE_TOO_LONG: 'Give the file an extension with a shorter content type, or none (application/octet-stream).',
  DUPLICATE_NAME: 'Each stored name must be unique: rename one, or leave one out with --exclude.',
  IMAGE_TOO_LARGE: (f) => {
    if (f.maxFiles !== undefined)
      return `Pack fewer files: at most ${formatBytes(f.maxFiles)} fit even when empty. Put small files together into one, or leave some out with --exclude.`
    if (f.over !== undefined && f.largest)
      return `Remove or shrink files to free at least ${bytes(f.over)} (each file also takes ${ENTRY_SIZE} bytes of the table). Largest: ${sizedList(f.largest)}.`
    if (f.role === 'file') return 'Leave the file out with --exclude, or shrink it.'
    if (f.role) return `Check the path: ${f.role === 'dfu' ? 'a .dfu file holds' : 'images are'} at most one sector.`
    if (f.imageLength !== undefined)
      return 'Rebuild the image from fewer or smaller files (flashdata build shows the largest).'
    return `Leave files out (--exclude) or make them smaller: the sector holds ${bytes(SECTOR_SIZE)}.`
  },
  OUTPUT_EXISTS: (f) =>
    f.output === 'in-extract'
      ? 'Extract into an empty folder, or pass --force to overwrite.'
      : 'Pass --force to replace it, or choose another path.',
  OUTPUT_UNWRITABLE: (f) =>
    f.output === 'emulator-mode'
      ? 'Keep emulator flash files in a folder you can write to.'
      : f.output === 'emulator-flash'
        ? 'Give --emulator a path in a folder that exists and that you can write to.'
        : f.output === 'backup-dir'
          ? 'Give a folder you may write to with --backup-dir.'
          : f.code === 'EACCES' || f.code === 'EPERM'
            ? 'You may not write there: check its permissions, or run the command as a user who may (for a system folder, as root).'
            : 'Check that the folder exists and that you may write to it.',
  OUTPUT_WRONG_TYPE: (f) => WRONG_TYPE_HINTS[f.output ?? 'image'],
  UNSAFE_PATH: 'Remove the link, or extract into another folder.',
  EMULATOR_READ_ONLY: (f) =>
    f.folder
      ? 'The emulated board keeps a lock file beside its flash file: point --emulator at a file in a writable folder.'
      : `Make it writable (chmod u+w ${f.path}), or point --emulator at another file.`,
  IMAGE_INVALID: (f) =>
    f.file !== undefined
      ? 'Give an image made by flashdata build or pull; to pack a single file, put it in a folder and give the folder.'
      : "Build the image again with flashdata build, or read the board's sector with flashdata pull --raw to look at it.",
  IMAGE_BLANK: 'Write an image first: flashdata push <folder>.',
  DFU_FILE_INVALID:
    'Give the image file itself, or make the .dfu file again with flashdata build <folder> -o data.dfu: it must hold one image at 0x080A0000.',
  NO_DEVICE: (f) => {
    if (f.emulator !== undefined)
      return 'Check the path. Commands that only look (devices, verify, pull) never create a board; push, dfu, reset or jig create a factory-fresh one there, and so does an empty file (touch).'
    if (f.serial && f.present?.length)
      return `Check the serial (flashdata devices lists the boards above), or connect the board ${f.serial}.`
    const wait = f.waitGiven ? 'wait longer with --wait <seconds>' : 'use --wait to wait for it'
    return `Connect the board with a data USB cable, or ${wait}. ${DFU_MODE_HOWTO} flashdata doctor shows which boards the system sees, and why one cannot be used.`
  },
  AMBIGUOUS_DEVICE: (f) =>
    f.serial === undefined
      ? 'Run flashdata devices to list them, then pass --serial <serial>.'
      : 'Unplug all but the board you mean, then run the command again.',
  WRONG_DEVICE:
    'Connect an Electron or E-Series board, or choose it with --serial. To write another DfuSe board anyway, give the exact address with --address.',
  DEVICE_SERIAL_INVALID:
    'Unplug this device: a genuine Electron reports its device id (24 hex digits) as its USB serial, and flashdata devices lists what is connected.',
  USB_ACCESS: UDEV_HINT,
  USB_UNAVAILABLE: (f) =>
    f.reason === 'no-binding'
      ? 'Reinstall flashdata (npm install) on this machine; the usb package ships prebuilt binaries for Linux, macOS and Windows.'
      : 'Run flashdata doctor: it checks the USB library and USB access on this machine.',
  BUSY: (f) =>
    f.pid !== undefined
      ? `Wait for the other flashdata command (a push, or a jig on this folder) to finish, or stop it, then run this one again.${f.host ? ` A lock left by a host that stopped is removed by hand: rm '${f.path}.lock'.` : ''}`
      : 'Wait for the other program using the board to finish (another flashdata, dfu-util, particle), then run this again.',
  USB_TRANSFER: 'Replug the board (a direct port, not a hub, if it keeps failing) and run the command again.',
  DFU_LAYOUT:
    "This board's bootloader describes its flash in an unexpected way: update its bootloader, or report it with the board's details.",
  DFU_PROTOCOL: 'Replug the board and run the command again; if it repeats, update the bootloader.',
  DFU_STATE: 'Replug the board (or reset it) and run the command again.',
  DFU_ERASE_FAILED: 'Run the command again; if the erase keeps failing, the flash sector may be worn out.',
  DFU_WRITE_FAILED: 'Run the command again; if the write keeps failing, the flash sector may be worn out.',
  DFU_STALL: 'Replug the board and run the command again.',
  ADDRESS_REFUSED: 'Leave --address out: on an Electron flashdata writes only sector 9 (0x080A0000).',
  MODE_SWITCH_FAILED: `${DFU_MODE_HOWTO} Then run the command again.`,
  RESET_REFUSED: 'Press the RESET button on the board, or unplug it and plug it back in.',
  VERIFY_MISMATCH: (f) =>
    f.offset !== undefined
      ? "The flash may be failing. Run the push again; if it fails at the same offset, the board's flash is damaged."
      : 'Push the image again (flashdata push <folder>, with --force to rewrite it).',
  DISCONNECTED:
    'Check the cable and run the command again; an interrupted write is detected and fixed by the next push.',
  TIMEOUT: (f) =>
    f.waitingFor === 'firmware'
      ? "Check the board's LED: blinking yellow means it is still in DFU mode (no valid firmware at 0x08020000)."
      : 'Replug the board and run the command again.',
  DFU_MODE_TIMEOUT: `${DFU_MODE_HOWTO} Then run the command again.`,
  NO_IMAGE_ON_DEVICE: 'Write one with flashdata push <folder>, or read the raw sector with --raw.',
  JIG_FAILURES: 'The summary and the log name the failed boards: put them back on the station to flash them again.',
  FOREIGN_DATA:
    'If it may go, run push again with --force: the sector is first saved to a backup file. A jig overwrites it only with the foreign-data policy "backup-and-overwrite" (--foreign backup-and-overwrite).',
  POOL_EXHAUSTED:
    'Add rows to the end of the pool table (never remove or reorder given rows) and start the station again.',
  PER_BOARD_MISSING: (f) =>
    `Put this board's files in "${f.folder ?? '<dir>/<serial>/'}", or use --per-board-optional to give it the common files.`,
  PER_BOARD_AMBIGUOUS:
    'Keep one folder per board (serials compare case-insensitively): merge the others into it and remove them.',
  POOL_INVALID:
    'The first line names the files in the image (e.g. certs/device.crt,certs/device.key), with an optional "serial" column; each row gives the paths of the files, relative to the CSV.',
  JOB_INVALID: 'Fix the job file (docs/station.md#job-files lists its fields).',
  GENERATE_FAILED:
    'The board was not touched. Run the --generate command by hand with FLASHDATA_SERIAL and FLASHDATA_OUT set to see what goes wrong.',
  LEDGER_FAILED: (f) =>
    f.ledger !== undefined
      ? 'Check that the server is reachable and the URL (user, password, database) is right.'
      : f.owner !== undefined
        ? `If no station is running there, delete "${f.path}".`
        : "Check that the ledger's folder exists and that you may write to it.",
  LEDGER_CORRUPT: (f) =>
    f.repairable === false
      ? 'A row edited by hand can hide a reservation, and its row would go to a second board: restore the table from a backup, or put the rows named back as they were.'
      : 'A damaged entry can hide a reservation, and its row would go to a second board: restore the ledger from a backup, or start again with --repair-ledger (the damaged lines are removed, listed, and the file as it was is kept in a copy).',
  INTERRUPTED: (f) =>
    f.aborted?.length
      ? 'Their sectors may hold half-written images: put them back on the station (or push to them) to flash them again.'
      : 'Run the command again; a board left half-written is fixed by the next push.',
  INTERNAL:
    'This is a bug in flashdata; please report it with the command you ran (FLASHDATA_DEBUG=1 prints the stack).',
}

/** The next step for an error (or a record's error: its code, and facts when it has them), in the CLI's words. */
export function cliHint(error: { code: ErrorCode; details?: unknown }): string {
  if (error instanceof CliError) return error.hint
  const hint = HINTS[error.code] as Hint<ErrorCode>
  return typeof hint === 'string' ? hint : hint((error.details ?? {}) as Partial<ErrorDetails[ErrorCode]>)
}

/** A failed board's record with the CLI's next step, for every line and file the CLI writes. */
export function hintedRecord(record: JigRecord): JigRecord {
  return record.error ? { ...record, error: { ...record.error, hint: cliHint(record.error) } } : record
}

/** A jig event with its record hinted (hintedRecord). */
export function withCliHints(event: JobEvent): JobEvent {
  return event.type === 'board-done' ? { ...event, record: hintedRecord(event.record) } : event
}
