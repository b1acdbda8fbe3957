import { Option, type Command } from 'commander'
import { CliError } from '../hints.js'
import type { ImageFileFormat } from '../../image/dfu-file.js'
import { hex32 } from '../../text.js'
import { bytes, formatBytes, percent, plural } from '../format.js'
import { printResult, type CliIo } from '../io.js'
import {
  addBuildOptions,
  checkDataOutput,
  noticeSkipped,
  nonEmpty,
  packNotesJson,
  packOptions,
  type BuildCliOptions,
} from '../options.js'

interface BuildOptions extends BuildCliOptions {
  output: string
  format?: ImageFileFormat | 'c'
  force?: boolean
  json?: boolean
  quiet?: boolean
}

/**
 * A .dfu name holding anything but a DfuSe file would be read back as one
 * (inspect, push, extract go by the name) and refused: the name and the
 * format must agree.
 */
function checkFormatMatchesName(output: string, format: string | undefined, byName: ImageFileFormat): void {
  if (format === undefined || format === 'dfu' || byName !== 'dfu') return
  throw new CliError(
    'BAD_OPTION',
    `-o "${output}" names a .dfu file, but --format ${format} does not write one: inspect, push and extract would read it as a DfuSe file and refuse it.`,
    `Give the output another name (${output.replace(/\.dfu$/i, '.bin')}), or leave --format out to write a DfuSe file.`,
    { details: { output, format } },
  )
}

export function registerBuild(program: Command, io: CliIo): void {
  addBuildOptions(
    program
      .command('build')
      .description('pack folders or files into a flash-file image')
      .argument('<inputs...>', 'folders (stored with their relative paths) or files (stored by base name)')
      .requiredOption(
        '-o, --output <image.bin|image.dfu>',
        'image file to write ("-" for standard output); a .dfu name writes a DfuSe file',
        nonEmpty,
      )
      .addOption(
        new Option(
          '--format <format>',
          'bin: the image itself; dfu: a DfuSe file for dfu-util; c: a C header for firmware that installs it (default: by the output name, .dfu or not)',
        ).choices(['bin', 'dfu', 'c']),
      )
      .option('-f, --force', 'replace the output file if it exists')
      .option('--json', 'print the result as one JSON object')
      .option('-q, --quiet', 'print nothing but errors'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ flashdata build data -o data.bin
  $ flashdata build data -o data.bin --force                        # replace data.bin
  $ SOURCE_DATE_EPOCH=1700000000 flashdata build data -o data.bin   # reproducible
  $ flashdata build certs/ca.pem sounds -o data.bin --exclude '*.tmp'
  $ flashdata build data -o data.dfu                                # for dfu-util -a 0 -D data.dfu
  $ flashdata build data --format c -o data.h                       # for firmware that installs it
  $ flashdata build data -o - | xxd | head
  $ flashdata build certs -o certs.bin --nul-terminate '*.pem'   # PEM that mbedTLS parses in place`,
    )
    .action(async (inputs: string[], options: BuildOptions) => {
      const { buildImageFromPaths } = await import('../../files/build.js')
      const { checkOutputFile } = await import('../../files/output.js')
      const { writeOutput } = await import('../../files/write.js')
      const { parseImage } = await import('../../image/parse.js')
      const { formatOfName, toDfuFile } = await import('../../image/dfu-file.js')
      const { toCHeader } = await import('../../image/c-header.js')
      const { version } = await import('../version.js')
      // A C header is text: only the binary formats are kept off a terminal.
      if (options.format !== 'c') checkDataOutput(io, options.output, 'build')
      checkFormatMatchesName(options.output, options.format, formatOfName(options.output))
      await checkOutputFile(options.output, { force: options.force })
      const built = await buildImageFromPaths(inputs, packOptions(options, io.env))
      const format = options.format ?? formatOfName(options.output)
      const listing = parseImage(built.image)
      const file =
        format === 'dfu'
          ? toDfuFile(built.image)
          : format === 'c'
            ? toCHeader(built.image, { inputs, version, crc: listing.header!.crc })
            : built.image
      await writeOutput(options.output, file, { force: options.force, mtime: built.epoch })
      // With -o - the image owns standard output; the report goes to stderr.
      const report = io.dataOnStdout ? io.stderr : io.stdout
      if (options.json) {
        printResult(io, 'build', {
          output: options.output,
          format,
          fileSize: file.length,
          size: built.image.length,
          files: listing.files.length,
          crc: listing.header?.crc,
          epoch: built.epoch,
          freeBytes: listing.freeBytes,
          ...packNotesJson(built, listing.problems),
        })
        return
      }
      noticeSkipped(io, built, options, listing.problems)
      if (options.quiet) return
      report.write(
        `Wrote ${options.output === '-' ? 'the image to standard output' : options.output}: ${plural(listing.files.length, 'file')}, ${bytes(built.image.length)} ` +
          `(${percent(built.image.length, listing.sectorBytes)} of the sector, ${formatBytes(listing.freeBytes)} free), CRC ${hex32(listing.header!.crc)}` +
          `${format === 'dfu' ? `, as a DfuSe file for 0x080A0000 (${bytes(file.length)})` : ''}` +
          `${format === 'c' ? `, as a C header (${bytes(file.length)})` : ''}\n`,
      )
    })
}
