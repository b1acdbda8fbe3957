/**
 * What to do next, for every error code: the hint an error gets when the
 * place that raises it has nothing more precise to say. errors.ts holds it to
 * the codes (a new code without a hint does not compile); this file imports
 * nothing, so the two are no import cycle.
 */
export const DEFAULT_HINTS = {
  BAD_OPTION: 'Run flashdata <command> --help for the options and their values.',
  INPUT_NOT_FOUND: 'Check the path; give a folder of files or an image file.',
  INPUT_NOT_DIRECTORY: 'Give a folder here, or the file itself where a file is expected.',
  INPUT_EMPTY:
    'Put the files to pack into the folder (version-control folders are skipped; --no-ignore-vcs packs them).',
  INPUT_UNREADABLE: "Check the file's permissions (ls -l) and that it is not being written right now.",
  INPUT_SPECIAL_FILE: 'Pack regular files only: copy the data into a regular file first.',
  INPUT_SYMLINK_ESCAPE: 'Copy the file into the folder, or leave the link out with --exclude.',
  INPUT_DATE_OUT_OF_RANGE:
    "Set the file's date (touch it), or give a build time with --epoch or SOURCE_DATE_EPOCH: newer file times are clamped to it.",
  INPUT_PACKED_TWICE: 'Reach each folder one way only: leave a link or an input out (--exclude, or one input fewer).',
  NAME_TOO_LONG: 'Shorten the file name or its folders (names are stored with their relative path).',
  NAME_INVALID: 'Rename the file: names are stored as UTF-8 relative paths.',
  CONTENT_TYPE_TOO_LONG: 'Give the file an extension with a shorter content type.',
  DUPLICATE_NAME: 'Rename one of the files, or leave one out with --exclude.',
  IMAGE_TOO_LARGE: 'Leave files out (--exclude) or make them smaller: the sector holds 131,072 bytes.',
  OUTPUT_EXISTS: 'Use --force to replace it, or give another output.',
  OUTPUT_UNWRITABLE: 'Check that the folder exists and that you may write to it.',
  OUTPUT_WRONG_TYPE:
    'Give a path that is a regular file (for an image) or a folder (for extracted files), or a new one.',
  UNSAFE_PATH: 'Remove the link, or extract into another folder.',
  EMULATOR_READ_ONLY: 'Make the flash file writable (chmod u+w), or use a copy of it.',
  IMAGE_INVALID:
    "Build the image again with flashdata build, or read the board's sector with flashdata pull --raw to look at it.",
  IMAGE_BLANK: 'Write an image first: flashdata push <folder>.',
  DFU_FILE_INVALID: 'Make the .dfu file again with flashdata build -o image.dfu.',
  NO_DEVICE:
    'Connect the board with a data USB cable (flashdata devices lists what is there; flashdata doctor says why a board cannot be used).',
  AMBIGUOUS_DEVICE: 'Choose the board with --serial (flashdata devices lists them).',
  WRONG_DEVICE: 'Connect an Electron or E-Series board; flashdata writes only their data sector.',
  DEVICE_SERIAL_INVALID:
    'Unplug this device: a genuine Electron reports its device id (24 hex digits) as its USB serial, and flashdata devices lists what is connected.',
  USB_ACCESS:
    'Install the udev rule (flashdata udev --install, as root) and replug the board; flashdata doctor checks it.',
  USB_UNAVAILABLE: 'Run flashdata doctor: it says what the usb library needs on this machine.',
  BUSY: 'Wait for the other program using the board to finish (another flashdata, dfu-util, particle), then run this again.',
  USB_TRANSFER: 'Replug the board (a direct port, not a hub, if it keeps failing) and run the command again.',
  DFU_LAYOUT:
    "This board's bootloader describes its flash in an unexpected way: update its bootloader, or report it with the board's details.",
  DFU_PROTOCOL: 'Replug the board and run the command again; if it repeats, update the bootloader.',
  DFU_STATE: 'Replug the board (or reset it) and run the command again.',
  DFU_ERASE_FAILED: 'Run the command again; if the erase keeps failing, the flash sector may be worn out.',
  DFU_WRITE_FAILED: 'Run the command again; if the write keeps failing, the flash sector may be worn out.',
  DFU_STALL: 'Replug the board and run the command again.',
  ADDRESS_REFUSED: 'Leave --address out: on an Electron flashdata writes only sector 9 (0x080A0000).',
  MODE_SWITCH_FAILED:
    'Put the board into DFU mode by hand (hold MODE, tap RESET, release MODE when the LED blinks yellow) and run the command again.',
  RESET_REFUSED: 'Reset the board with its RESET button.',
  VERIFY_MISMATCH: 'Push the image again (flashdata push <folder>, with --force to rewrite it).',
  DISCONNECTED: 'Plug the board back in and run the command again; an unfinished write is fixed by the next push.',
  TIMEOUT: 'Replug the board and run the command again.',
  DFU_MODE_TIMEOUT:
    'Put the board into DFU mode by hand (hold MODE, tap RESET, release MODE when the LED blinks yellow), then run the command again.',
  NO_IMAGE_ON_DEVICE: 'Write one with flashdata push <folder>, or read the raw sector with --raw.',
  JIG_FAILURES: 'The summary and the log name the failed boards: put them back on the station to flash them again.',
  FOREIGN_DATA:
    'Use --force to save the sector to a backup file and overwrite it (the jig: --foreign backup-and-overwrite).',
  POOL_EXHAUSTED: 'Add rows to the pool, or give a new pool, and start the station again.',
  PER_BOARD_MISSING:
    "Add the board's folder (<dir>/<serial>/), or use --per-board-optional to give it the common files.",
  PER_BOARD_AMBIGUOUS:
    'Keep one folder per board (serials compare case-insensitively): merge the others into it and remove them.',
  POOL_INVALID: 'Fix the pool table: a header row of stored names, then one row per board.',
  JOB_INVALID: 'Fix the job file (docs/station.md#job-files lists its fields).',
  GENERATE_FAILED:
    'Run the --generate command by hand with FLASHDATA_SERIAL and FLASHDATA_OUT set to see why it fails.',
  LEDGER_FAILED: 'Check that the ledger (its file, or the database) can be reached and written, then start again.',
  LEDGER_CORRUPT:
    'Nothing was touched. A damaged entry can hide a reservation, and its row would go to a second board: restore the ledger from a backup, or start again with --repair-ledger (a ledger file: the damaged lines are removed, listed, and the file as it was is kept in a copy).',
  INTERRUPTED: 'Run the command again; a board left half-written is fixed by the next push.',
  INTERNAL:
    'This is a bug in flashdata; please report it with the command you ran (FLASHDATA_DEBUG=1 prints the stack).',
}
