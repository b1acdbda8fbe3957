import { resolve } from 'node:path'
import type { Command } from 'commander'
import { addDeviceOptions, runBoardCommand, type DeviceCliOptions } from '../device-options.js'
import { hex32 } from '../../text.js'
import { WAIT_APP_MS } from '../../timeouts.js'
import { bytes, plural } from '../format.js'
import { printResult, type CliIo } from '../io.js'
import {
  addBuildOptions,
  noticeSkipped,
  packNotesJson,
  packOptions,
  parseInteger,
  type BuildCliOptions,
} from '../options.js'
import {
  addProvisionOptions,
  ledgerOptions,
  provisionSettings,
  type ProvisionCliOptions,
} from '../provision-options.js'
import { outputMode } from '../render/progress.js'

interface PushCliOptions extends DeviceCliOptions, BuildCliOptions, ProvisionCliOptions {
  force?: boolean
  leave: boolean
  waitApp?: number | true
}

export function registerPush(program: Command, io: CliIo): void {
  const command = program
    .command('push')
    .description(
      "write a folder (packed now) or an image into the Electron's data sector, verify it, and restart the board",
    )
    .argument('<folder|image.bin>', 'a folder of files to pack, or an image built with flashdata build')
    .option(
      '-f, --force',
      'rewrite even if the board already holds these files; overwrite other data in the sector after saving it to a backup file',
    )
    .option('--no-leave', 'stay in DFU mode afterwards instead of starting the firmware')
    .option(
      '--wait-app [seconds]',
      `after leaving DFU mode, wait until the board runs its firmware again (default ${WAIT_APP_MS / 1000} s)`,
      parseInteger(1, 3600),
    )
  addProvisionOptions(command)
  addDeviceOptions(addBuildOptions(command), { address: true })
    .addHelpText(
      'after',
      `
The board may be running firmware (it is switched to DFU mode) or already in
DFU mode. Only sector 9 (0x080A0000-0x080BFFFF) is erased and written.
A board that already holds the same files (names, content types, bytes) is
left alone, even if their time stamps differ (after a touch or a fresh clone);
--force rewrites it.
If the sector holds something else (a Particle factory firmware, unknown
data), push refuses; --force first saves it to
./flashdata-backup-<serial>-<time>.bin (--backup-dir) and then overwrites it.
With --per-board, --pool or --generate the board's own image is built from its
serial before any traffic to it.

Exit codes: 0 written or unchanged; 3 bad input; 5 no board; 6 several boards
(use --serial); 7 not an Electron/E-Series; 8 no USB permission; 9 device error;
10 read-back differs; 11 board disconnected; 12 timeout; 15 the sector holds
other data (use --force); 16 the pool has no row left.

Examples:
  $ flashdata push data                       # pack and write the folder data/
  $ flashdata push data.bin --serial e00fce68d1a3c5b7f1e2d3c4
  $ flashdata push data --wait 60 --json      # wait for a board, NDJSON output
  $ flashdata push data --emulator board.bin  # an emulated Electron, no hardware
  $ flashdata push data --per-board boards    # data/ plus boards/<serial>/`,
    )
    .action(async (input: string, options: PushCliOptions) => {
      const { loadImageSource } = await import('../../files/source.js')
      const { push } = await import('../../jobs/push.js')
      const { readImage } = await import('../../image/parse.js')
      const { describeSector } = await import('../../image/sector.js')
      const { checkSettings } = await import('../../provision/job.js')
      const { openBoardData } = await import('../../provision/station.js')
      const { checkBackupDir, sectorBackup } = await import('../../provision/backup.js')
      const { selectBoard } = await import('../../device/select.js')
      // Every input error before the bus is opened.
      const build = packOptions(options, io.env)
      const settings = { ...provisionSettings(options), folder: resolve(input) }
      await checkSettings(settings, 'from the command line')
      // --force may have to save foreign data: where to is checked before any board is switched.
      if (options.force) await checkBackupDir(options.backupDir ?? '.')
      const boardData = await openBoardData(settings, build, ledgerOptions(io, options, settings))
      const source = boardData ? undefined : await loadImageSource([input], build)
      const mode = outputMode(io, options)
      noticeSkipped(io, source, options, source?.listing.problems)
      try {
        await runBoardCommand(io, options, async ({ bus, board, onEvent, endProgress }) => {
          const waitApp = options.waitApp === true ? WAIT_APP_MS / 1000 : options.waitApp
          // Per-board data: the board is found first (enumeration only), its image built and checked before any request to it.
          const found = boardData ? await selectBoard(bus, board) : undefined
          const plan = found ? await boardData!.provisioner.prepare(found.info) : { image: source!.image }
          const result = await push({
            bus,
            ...board,
            serial: found?.info.serial ?? board.serial,
            image: plan.image,
            force: options.force,
            leave: options.leave,
            waitAppMs: waitApp === undefined ? undefined : waitApp * 1000,
            onEvent,
            onForeign: options.force ? sectorBackup(options.backupDir ?? '.') : undefined,
          })
          await plan.commit?.()
          endProgress()
          const files = readImage(plan.image).files.length
          if (mode === 'json')
            printResult(io, 'push', {
              ...result,
              files,
              provision: plan.provision,
              ...packNotesJson(source, source?.listing.problems),
            })
          else if (mode !== 'quiet') {
            const what = `${bytes(result.imageSize)} (${plural(files, 'file')}, CRC ${hex32(result.crc)})`
            const seconds = `${(result.totalMs / 1000).toFixed(2)} s`
            if (result.foreign)
              io.stdout.write(
                `The sector held ${describeSector(result.foreign.contents)}; saved to ${result.foreign.backup}.\n`,
              )
            io.stdout.write(
              result.status === 'unchanged'
                ? result.timeStampsDiffer
                  ? `Unchanged: ${result.serial} already holds these files (${plural(files, 'file')}, ${bytes(result.imageSize)}); only their time stamps differ and are kept. Nothing written (${seconds}); --force rewrites it.\n`
                  : `Unchanged: ${result.serial} already holds ${what}; nothing written (${seconds}).\n`
                : `Flashed ${what} to ${result.serial} and verified it in ${seconds}.\n`,
            )
          }
        })
      } finally {
        await boardData?.close()
      }
    })
}
