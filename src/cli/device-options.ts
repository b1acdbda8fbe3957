import { InvalidArgumentError, Option, type Command } from 'commander'
import { openBus } from '../device/open-bus.js'
import type { EventSink } from '../jobs/events.js'
import { BOARD_SETTLE_MS, WAIT_FLAG_MS } from '../timeouts.js'
import type { UsbBusLike } from '../usb/types.js'
import { watchInterrupts } from './interrupt.js'
import type { CliIo } from './io.js'
import { nonEmpty, parseInteger } from './options.js'
import { createRenderer, outputMode, type OutputMode, type ProgressRenderer } from './render/progress.js'

export interface DeviceCliOptions {
  serial?: string
  emulator?: string
  wait?: number | true
  address?: number
  json?: boolean
  quiet?: boolean
  plain?: boolean
}

function parseAddress(value: string): number {
  const n = /^0x[0-9a-f]+$/i.test(value) ? parseInt(value, 16) : /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff)
    throw new InvalidArgumentError('expected an address such as 0x080A0000.')
  return n
}

/**
 * The options of every command that talks to a board. `select: false` for
 * commands that take every board (the jig), not one; `listing: true` for
 * devices, where --serial filters and --wait waits for any (matching) board.
 */
export function addDeviceOptions(command: Command, { address = false, select = true, listing = false } = {}): Command {
  if (select) {
    command
      .option(
        '-s, --serial <serial>',
        listing
          ? 'list only this board (case-insensitive)'
          : 'the board to use, by serial number (case-insensitive); needed when several are connected',
        nonEmpty,
      )
      .option(
        '-w, --wait [seconds]',
        listing
          ? `wait for a (matching) board to appear (default ${WAIT_FLAG_MS / 1000} s with the flag; without it, look once)`
          : `wait for the board to appear (default ${WAIT_FLAG_MS / 1000} s with the flag, ${BOARD_SETTLE_MS / 1000} s without)`,
        parseInteger(0, 86400),
      )
  }
  command
    .addOption(
      new Option(
        '--emulator <flash-file|dir>',
        'use an emulated Electron whose flash persists in this file (an empty file is a blank board; a folder: one board per *.bin file)',
      )
        .env('FLASHDATA_EMULATOR')
        .argParser(nonEmpty),
    )
    .option('--json', 'print NDJSON: one event per line, then the result')
    .option('-q, --quiet', 'print nothing but errors')
    .option('--plain', 'plain progress lines even on a terminal (no spinner, nothing redrawn)')
  if (address)
    command.option(
      '--address <addr>',
      'only for a DfuSe board other than the Electron: write its 128 KiB at this address (an Electron accepts only 0x080A0000, sector 9)',
      parseAddress,
    )
  return command
}

function waitMs(options: DeviceCliOptions): number | undefined {
  if (options.wait === undefined) return undefined
  return options.wait === true ? WAIT_FLAG_MS : options.wait * 1000
}

export interface BoardCommandContext {
  bus: UsbBusLike
  mode: OutputMode
  /** Options every board job takes, from the command line. */
  board: { serial?: string; waitMs?: number; address?: number }
  onEvent: EventSink
  /** Stops the spinner before the result is printed. */
  endProgress: () => void
}

/**
 * The frame of every command that talks to a board: open the bus, render the
 * job's events, and always stop the renderer and close the bus. Commands that
 * only look pass `looksOnly`: they never create an emulated board. Ctrl-C or
 * SIGTERM ends the command with an INTERRUPTED error (watchInterrupts), unless
 * it handles them itself (`ownSignals`: the jig finishes or records its boards).
 */
export async function runBoardCommand(
  io: CliIo,
  options: DeviceCliOptions,
  work: (context: BoardCommandContext) => Promise<void>,
  makeRenderer: (mode: OutputMode) => Promise<ProgressRenderer> | ProgressRenderer = (mode) => createRenderer(mode, io),
  { looksOnly = false, ownSignals = false } = {},
): Promise<void> {
  const mode = outputMode(io, options)
  const signals = ownSignals ? undefined : watchInterrupts()
  try {
    const opened = await openBus({ emulator: options.emulator, env: io.env, create: !looksOnly })
    const renderer = await makeRenderer(mode)
    // Once the command has ended, its last line (result or error) stays last: a jig's hard stop
    // leaves pushes in flight until the process exits, and their events are not shown.
    let ended = false
    try {
      const working = work({
        bus: opened.bus,
        mode,
        board: { serial: options.serial, waitMs: waitMs(options), address: options.address },
        onEvent: (event) => {
          if (ended || signals?.fired) return
          signals?.track(event)
          renderer.event(event)
        },
        endProgress: () => renderer.close(),
      })
      // Left running when interrupted, until the process ends: what it throws then is not the command's error.
      working.catch(() => {})
      await (signals ? Promise.race([working, signals.interrupted]) : working)
    } catch (error) {
      renderer.fail?.()
      throw error
    } finally {
      ended = true
      renderer.close()
      await opened.close()
    }
  } finally {
    signals?.dispose()
  }
}
