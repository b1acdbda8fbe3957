/**
 * Every wait and retry of flashdata's hosts in one table: what waits, why
 * that long, and where the figure comes from. It imports nothing, so every
 * layer may use it. The board's own timing (erase and program times, the
 * bootloader's reset delay) is the board model in src/emulator/timing.ts.
 *
 * Sources: the Electron's bootloader and Device OS as docs/electron-bootloader.md
 * reads them; particle-usb and particle-cli, which do the same switches; the
 * real-USB bench (docs/real-usb-bench.md), where it measured something. A
 * figure with no source named is a margin chosen around those.
 */

// ---- Finding a board on the bus ----

/**
 * Between two looks at the bus while waiting for a board (a wait also wakes
 * on connect events; the look catches stacks without hot-plug) and between
 * two scans of the jig for arriving boards. Small beside a re-enumeration
 * (1 to 3 s), few enough looks not to load the bus.
 */
export const BUS_POLL_MS = 200

/**
 * How long a board command without --wait still waits for its board, so one
 * restarting from the previous command is found: the bootloader resets 500 ms
 * after a leave, and re-enumeration takes about 1 to 3 s (the bench saw a
 * host take up to 2.5 s to drop a board).
 */
export const BOARD_SETTLE_MS = 3000

/** `--wait` without seconds: time for a person to plug the board in or press its buttons. */
export const WAIT_FLAG_MS = 30_000

/**
 * Failed string-descriptor reads while the `usb` package enumerates or opens
 * (a device leaving the bus, or answering late): tried this often in all,
 * this far apart. They pass within a few hundred milliseconds.
 */
export const ENUMERATION_ATTEMPTS = 5
export const ENUMERATION_RETRY_MS = 100

// ---- Switching a running board to DFU mode ----
// The same wait on three hosts, with three reasons. The switch itself takes
// about 1.3 s: Device OS resets 1 s after request 50, then the bootloader
// enumerates (the 14400-baud trick resets at once).

/**
 * The library's default: particle-usb (`requestTimeout`, src/config.js) and
 * particle-cli wait 60 s for the same switch. A library does not know its
 * host, so it takes the value Particle's own tools have shipped with.
 */
export const DFU_SWITCH_MS = 60_000

/**
 * The jig's `--dfu-timeout` default: on a production bench a board not back
 * in DFU mode after 20 s (15 times the expected switch) is failed, so the
 * station moves on; the operator may raise it.
 */
export const JIG_DFU_SWITCH_MS = 20_000

/**
 * The web page's: in a browser the board in DFU mode is a new USB device that
 * needs its own permission. Without it the board never shows, however long
 * the page waits, so after 10 s it asks the user to press Connect again.
 */
export const WEB_DFU_SWITCH_MS = 10_000

/**
 * After setting 14400 baud, how long the board gets to vanish before the
 * port is put back to 9600 (Linux keeps the last rate, which would switch the
 * board again at the next open). The board resets at once from its USB
 * interrupt (Device OS usbd_mcdc.c), so 3 s is margin.
 */
export const LINE_CODING_GRACE_MS = 3000

/**
 * One control request to Device OS (INIT, CHECK, the raw requests,
 * SET_LINE_CODING): answered from its USB interrupt at once, the work itself
 * is polled with CHECK. Short, so a board that resets mid-request is known soon.
 */
export const FIRMWARE_REQUEST_MS = 2000

/** The pauses between CHECK requests of one control request, in order: particle-usb's back-off (about 2.8 s in all). */
export const FIRMWARE_CHECK_BACKOFF_MS: readonly number[] = [50, 50, 100, 100, 250, 250, 500, 500, 1000]

// ---- The DfuSe session ----

/**
 * One control transfer to the bootloader, and the `usb` package's default for
 * the transfers it makes itself. Erase and write run inside the GETSTATUS
 * that follows them: a 128 KiB sector erase takes about 1 s, up to 2 s
 * (STM32F205 datasheet, x32 programming; 4 s at x8). particle-usb uses 5 s too.
 */
export const TRANSFER_MS = 5000

/**
 * Right after a board re-enumerates (the DFU switch) Linux's udev may not
 * have applied the board's permissions yet: opening it is refused ("access
 * denied") for a moment, seen on the bench. Retried every BUS_POLL_MS for this long.
 */
export const DFU_ACCESS_SETTLE_MS = 3000

/**
 * Descriptor reads (the memory layout is one) after a transfer cut short
 * under load: tried this often in all, pausing READ_RETRY_STEP_MS times the
 * attempt number. A write is never retried this way.
 */
export const READ_ATTEMPTS = 3
export const READ_RETRY_STEP_MS = 50

/**
 * Status requests while the bootloader reports dfuDNBUSY. On alt 0 the erase
 * or write runs inside the first status request (bwPollTimeout 0), so busy
 * is rarely seen twice; the bound only stops a stuck device from hanging us.
 */
export const BUSY_POLLS = 256

/**
 * Rounds of ABORT, CLRSTATUS or waiting that bring the bootloader to dfuIDLE
 * when a session opens; a device still elsewhere after these is refused.
 */
export const NORMALISE_ROUNDS = 6

/**
 * A push whose erase or write fails, or whose read-back differs, erases and
 * writes once more: two attempts in all. A second failure is the board's.
 */
export const WRITE_ATTEMPTS = 2

// ---- Leaving DFU mode and resets ----

/**
 * After the leave request, how long the board may take to drop off the bus:
 * the bootloader disconnects 500 ms after acknowledging (its SysTick
 * countdown), and the bench saw a host take up to 2.5 s to notice.
 */
export const LEAVE_GONE_MS = 3000

/** A board found restarting as it was opened (it had just left DFU mode) gets this long to come back. */
export const RESET_WAIT_MS = 10_000

/**
 * After a failed transfer, how long the board gets to leave the bus before
 * the failure counts as a transfer error rather than an unplug (the `usb`
 * package reports a pulled cable as EPROTO, not as a disconnect).
 */
export const UNPLUG_GRACE_MS = 500

/**
 * `push --wait-app` without seconds: the board resets, boots Device OS and the
 * application and re-enumerates running firmware. Generous, as the
 * application's start-up time is the user's.
 */
export const WAIT_APP_MS = 30_000

/**
 * The jig, after a push: how long the released board may take to come back
 * running firmware before it counts as unplugged. Short of WAIT_APP_MS, as a
 * station has the next board waiting.
 */
export const JIG_REAPPEAR_MS = 15_000

/**
 * The web page, after a job that left DFU mode: how long it waits for the
 * DFU device to vanish (LEAVE_GONE_MS), looking at the permitted devices
 * this often.
 */
export const WEB_GONE_POLL_MS = 100

/**
 * The web page, then: how long it waits for the board back running firmware,
 * so the next job's connect phase does not wait for the reset instead. Only
 * a convenience: a board that is slower is found by that next job.
 */
export const WEB_BACK_RUNNING_MS = 5000

// ---- Provisioning ----

/** `--generate-timeout` default: a per-board generator (keys, certificates) is stopped after this long. */
export const GENERATE_MS = 60_000

/**
 * The ledger file's lock is held for one short read-modify-append; one held
 * this long belongs to a stuck station. Retried at a random pause in
 * [min, max), so two stations do not retry in step.
 */
export const LEDGER_LOCK_MS = 30_000
export const LEDGER_LOCK_RETRY_MS = { min: 10, max: 30 } as const

/** Connecting to a PostgreSQL ledger: an unreachable server fails the station at start rather than hanging it. */
export const POSTGRES_CONNECT_MS = 10_000
