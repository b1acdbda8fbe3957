import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { addDeviceOptions, runBoardCommand, type DeviceCliOptions } from '../device-options.js'
import { bytes as byteCount, plural } from '../format.js'
import { printResult, type CliIo } from '../io.js'
import { checkDataOutput, nonEmpty } from '../options.js'

interface PullCliOptions extends DeviceCliOptions {
  output: string
  raw?: boolean
  extract?: boolean
  force?: boolean
  leave?: boolean
}

export function registerPull(program: Command, io: CliIo): void {
  addDeviceOptions(
    program
      .command('pull')
      .description('read the image back from the board into an image file, or extract its files into a folder')
      .requiredOption(
        '-o, --output <image.bin|dir>',
        'image file to write ("-" for standard output; a .dfu name writes a DfuSe file), or a folder with --extract (or an existing folder)',
        nonEmpty,
      )
      .option('-x, --extract', 'write the files into the folder given with -o instead of an image file')
      .option('--raw', 'read the whole 128 KiB sector, whatever it holds')
      .option('-f, --force', 'replace the image file, or the extracted files, if they exist')
      .option('--leave', 'restart the firmware afterwards even if the board was found in DFU mode'),
    { address: true },
  )
    .addHelpText(
      'after',
      `
Exit codes: 0 read; 13 no valid image on the board (use --raw to read it anyway);
others as for push.

Examples:
  $ flashdata pull -o backup.bin
  $ flashdata pull -o backup.bin --force      # replace backup.bin
  $ flashdata pull -o backup.dfu              # a DfuSe file, for dfu-util -a 0 -D backup.dfu
  $ flashdata pull -o data-from-board --extract
  $ flashdata pull --raw -o sector9.bin`,
    )
    .action(async (options: PullCliOptions) => {
      const { extractImage } = await import('../../files/extract.js')
      const { checkOutputFile, checkOutputFolder } = await import('../../files/output.js')
      const { writeOutput } = await import('../../files/write.js')
      const { pull } = await import('../../jobs/pull.js')
      const { formatOfName, toDfuFile } = await import('../../image/dfu-file.js')
      const toFolder = options.extract || (await stat(options.output).catch(() => undefined))?.isDirectory() === true
      // The destination is checked before the board is read; the files in it once the image is known.
      checkDataOutput(io, options.output, 'pull')
      if (toFolder) await checkOutputFolder(options.output)
      else await checkOutputFile(options.output, { force: options.force })
      await runBoardCommand(
        io,
        options,
        async ({ bus, board, mode, onEvent, endProgress }) => {
          const result = await pull({ bus, ...board, raw: options.raw, leave: options.leave, onEvent })
          endProgress()
          const files = toFolder
            ? await extractImage(result.bytes, options.output, { force: options.force })
            : undefined
          if (!toFolder) {
            const file =
              formatOfName(options.output) === 'dfu' ? toDfuFile(result.bytes, options.address) : result.bytes
            await writeOutput(options.output, file, { force: options.force })
          }
          const { bytes, ...rest } = result
          if (mode === 'json') printResult(io, 'pull', { ...rest, size: bytes.length, output: options.output, files })
          else if (mode !== 'quiet' && options.output !== '-') {
            io.stdout.write(
              files
                ? `Extracted ${plural(files.length, 'file')} from ${result.serial} into ${options.output}.\n`
                : `Read ${byteCount(bytes.length)} from ${result.serial} into ${options.output}.\n`,
            )
          }
        },
        undefined,
        { looksOnly: true },
      )
    })
}
