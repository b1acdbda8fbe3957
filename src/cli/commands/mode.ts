import type { Command } from 'commander'
import { addDeviceOptions, runBoardCommand, type DeviceCliOptions } from '../device-options.js'
import { printResult, type CliIo } from '../io.js'

/** `flashdata dfu` and `flashdata reset`: mode switches for people and scripts. */
export function registerModeCommands(program: Command, io: CliIo): void {
  const commands = [
    {
      name: 'dfu',
      job: 'switchToDfu' as const,
      description: 'switch a board running firmware into DFU mode (request 50, else 14400 baud)',
      done: 'is in DFU mode',
    },
    {
      name: 'reset',
      job: 'resetBoard' as const,
      description: 'restart a board into its firmware: leave DFU mode, or reset a running board (request 40)',
      done: 'restarts its firmware',
    },
  ]
  for (const { name, job, description, done } of commands) {
    addDeviceOptions(program.command(name).description(description))
      .addHelpText(
        'after',
        `
Examples:
  $ flashdata ${name}
  $ flashdata ${name} --serial e00fce68d1a3c5b7f1e2d3c4 --json`,
      )
      .action(async (options: DeviceCliOptions) => {
        const jobs = await import('../../jobs/mode.js')
        await runBoardCommand(io, options, async ({ bus, board, mode, onEvent, endProgress }) => {
          const result = await jobs[job]({ bus, serial: board.serial, waitMs: board.waitMs, onEvent })
          endProgress()
          if (mode === 'json') printResult(io, name, result)
          else if (mode !== 'quiet')
            io.stdout.write(`${result.serial} ${result.changed ? done : 'was already in DFU mode'}.\n`)
        })
      })
  }
}
