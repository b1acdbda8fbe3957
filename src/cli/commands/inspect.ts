import { stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { exitCodeOf } from '../../errors.js'
import { printResult, stdoutWidth, type CliIo } from '../io.js'
import { addBuildOptions, noticeSkipped, packNotesJson, packOptions, type BuildCliOptions } from '../options.js'
import { listingJson, renderListing } from '../render/listing.js'

interface InspectOptions extends BuildCliOptions {
  json?: boolean
}

export function registerInspect(program: Command, io: CliIo): void {
  addBuildOptions(
    program
      .command('inspect')
      .description('list and check an image file, or show what build would make of a folder')
      .argument('<image.bin|folder>', 'an image file, or a folder to pack in memory (nothing is written)')
      .option('--json', 'print the listing as one JSON object'),
  )
    .addHelpText(
      'after',
      `
Exit codes: 0 valid image, 4 invalid or blank image (the problems are listed).

Examples:
  $ flashdata inspect data.bin
  $ flashdata inspect data/         # what build would produce
  $ flashdata inspect pulled.bin --json | jq '.files[].name'`,
    )
    .action(async (input: string, options: InspectOptions) => {
      const { buildImageFromPaths } = await import('../../files/build.js')
      const { readImageFile } = await import('../../files/source.js')
      const { parseImage } = await import('../../image/parse.js')
      const info = await stat(input).catch(() => undefined)
      const built = info?.isDirectory() ? await buildImageFromPaths([input], packOptions(options, io.env)) : undefined
      noticeSkipped(io, built, options)
      const image = built?.image ?? (await readImageFile(input))
      const listing = parseImage(image)
      if (options.json) printResult(io, 'inspect', { ...listingJson(listing, input), ...packNotesJson(built) })
      else io.stdout.write(renderListing(listing, input, stdoutWidth(io)))
      // The listing already explains the problems; only the exit code is left to set.
      if (!listing.valid) io.exitCode = exitCodeOf(listing.blank ? 'IMAGE_BLANK' : 'IMAGE_INVALID')
    })
}
