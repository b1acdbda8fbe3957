import type { Command } from 'commander'
import type { RefusedBoard } from '../../device/board.js'
import type { FirmwareInfo } from '../../device/firmware.js'
import { addDeviceOptions, runBoardCommand, type DeviceCliOptions } from '../device-options.js'
import { usbId } from '../../text.js'
import { table } from '../format.js'
import { printResult, stdoutWidth, type CliIo } from '../io.js'

export function registerDevices(program: Command, io: CliIo): void {
  addDeviceOptions(
    program
      .command('devices')
      .alias('list')
      .description('list the Particle boards on USB: serial, platform, mode, Device OS version, USB path'),
    { listing: true },
  )
    .addHelpText(
      'after',
      `
With --serial only that board is listed; with --wait the command waits for a
(matching) board to appear. Either way, finding none is exit code 5.

Examples:
  $ flashdata devices
  $ flashdata devices --json
  $ flashdata devices --serial e00fce68d1a3c5b7f1e2d3c4 --wait 20   # wait for that board
  $ flashdata devices --emulator board.bin`,
    )
    .action(async (options: DeviceCliOptions) => {
      const { filterBoards, surveyBus, waitForBoard } = await import('../../device/wait.js')
      const { noBoard } = await import('../../device/select.js')
      const { sameBoard } = await import('../../device/identity.js')
      const { readFirmwareInfo } = await import('../../device/firmware.js')
      await runBoardCommand(
        io,
        options,
        async ({ bus, board }) => {
          const matches = board.serial === undefined ? async () => true : sameBoard(board.serial)
          if (board.waitMs !== undefined) await waitForBoard(bus, matches, board.waitMs)
          const { boards: present, refused } = await surveyBus(bus)
          const listed = await filterBoards(present, matches)
          if (listed.length === 0 && (board.serial !== undefined || board.waitMs !== undefined))
            throw noBoard({ serial: board.serial, waitMs: board.waitMs ?? 0 }, present, refused)
          // A board running firmware is asked for its Device OS version and mode (a DFU-mode board runs the bootloader).
          const boards: Array<RefusedBoard['info'] & FirmwareInfo & { unusable?: { code: string; message: string } }> =
            []
          for (const found of listed) {
            const problem = bus.unusable?.(found.device)
            if (problem) boards.push({ ...found.info, unusable: { code: problem.code, message: problem.message } })
            else boards.push({ ...found.info, ...(await readFirmwareInfo(found)) })
          }
          // Refused for its serial: listed (escaped) and never asked anything. No --serial matches it.
          if (board.serial === undefined)
            for (const { info, error } of refused)
              boards.push({ ...info, unusable: { code: error.code, message: error.message } })
          if (options.json) printResult(io, 'devices', { boards })
          else if (boards.length === 0) io.stdout.write('No Particle boards found on USB.\n')
          else {
            const rows = [['SERIAL', 'PLATFORM', 'MODE', 'DEVICE OS', 'USB ID', 'PATH']]
            for (const b of boards)
              rows.push([
                b.serial,
                b.label,
                b.unusable
                  ? 'unusable'
                  : b.mode === 'dfu'
                    ? 'DFU'
                    : b.deviceOsMode === 'listening'
                      ? 'listening'
                      : 'firmware',
                b.deviceOs ?? (b.notAsked ? '?' : ''),
                usbId(b.vendorId, b.productId),
                b.path ?? '',
              ])
            io.stdout.write(`${table(rows, { width: stdoutWidth(io) })}\n`)
            for (const b of boards)
              if (b.unusable) io.stdout.write(`${b.serial} cannot be used: ${b.unusable.message}\n`)
              else if (b.notAsked) io.stdout.write(`${b.serial}: Device OS not read: ${b.notAsked.message}\n`)
          }
        },
        undefined,
        { looksOnly: true },
      )
    })
}
