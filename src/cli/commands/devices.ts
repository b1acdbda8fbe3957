import type { Command } from 'commander'
import { addDeviceOptions, runBoardCommand, type DeviceCliOptions } from '../device-options.js'
import { table } from '../format.js'
import { printJson, type CliIo } from '../io.js'

export function registerDevices(program: Command, io: CliIo): void {
  addDeviceOptions(program
    .command('devices')
    .alias('list')
    .description('list the Particle boards on USB: serial, platform, mode, USB path'))
    .addHelpText('after', `
Examples:
  $ flashdata devices
  $ flashdata devices --json
  $ flashdata devices --emulator board.bin`)
    .action(async (options: DeviceCliOptions) => {
      const { listBoards } = await import('../../device/wait.js')
      await runBoardCommand(io, options, async ({ bus, emulated }) => {
        const boards = (await listBoards(bus)).map((b) => b.info)
        if (options.json) printJson(io, { type: 'result', boards })
        else if (boards.length === 0) io.stdout.write('No Particle boards found on USB.\n')
        else {
          const rows = [['SERIAL', 'PLATFORM', 'MODE', 'USB ID', 'PATH']]
          for (const b of boards) rows.push([b.serial, b.label, b.mode === 'dfu' ? 'DFU' : 'firmware', `${b.vendorId.toString(16).padStart(4, '0')}:${b.productId.toString(16).padStart(4, '0')}`, b.path ?? (emulated ? 'emulated' : '')])
          io.stdout.write(`${table(rows)}\n`)
        }
      })
    })
}
