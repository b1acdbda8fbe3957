import type { Command } from 'commander'
import { exitCodeOf } from '../../errors.js'
import { printable } from '../../image/names.js'
import { HEADER_SIZE } from '../../image/format.js'
import type { FileDifference, VerifyResult } from '../../jobs/verify.js'
import { addDeviceOptions, runBoardCommand, type DeviceCliOptions } from '../device-options.js'
import { formatBytes } from '../format.js'
import { printResult, stdoutWidth, type CliIo } from '../io.js'
import { addBuildOptions, noticeSkipped, packNotesJson, packOptions, type BuildCliOptions } from '../options.js'
import { listingJson, renderListing } from '../render/listing.js'

interface VerifyCliOptions extends DeviceCliOptions, BuildCliOptions {
  leave?: boolean
  exact?: boolean
}

/** Each kind of difference in words (the JSON keeps the reason codes). */
const REASONS: Record<FileDifference['reason'], string> = {
  'missing-on-board': 'not on the board',
  'extra-on-board': 'only on the board',
  content: 'other bytes',
  metadata: 'the same bytes, another content type or time stamp',
}

function difference(d: FileDifference): string {
  return d.name === '(header)'
    ? 'the image header (its build time or file layout)'
    : `${printable(d.name)}: ${REASONS[d.reason]}`
}

const where = (offset: number | undefined) =>
  offset === undefined
    ? ''
    : ` (first difference at byte ${formatBytes(offset)}${offset < HEADER_SIZE ? ', in the image header' : ''})`

function summary(result: VerifyResult): string {
  switch (result.status) {
    case 'match':
      return result.timeStampsDiffer
        ? `Match: ${result.serial} holds these files; only their time stamps differ (--exact compares those too).`
        : `Match: ${result.serial} holds exactly this image.`
    case 'valid':
      return `Valid: ${result.serial} holds a consistent image.`
    case 'no-image':
      return `No valid image on ${result.serial}${result.listing.blank ? ' (the sector is blank)' : ''}: write one with flashdata push <folder>.`
    case 'differs':
      return `Differs: ${result.serial} holds another image${where(result.firstDifference)}.${result.differences.map((d) => `\n  ${difference(d)}`).join('')}`
  }
}

export function registerVerify(program: Command, io: CliIo): void {
  const command = program
    .command('verify')
    .description('read the data sector back and check it: against a folder or image, or for a consistent image')
    .argument('[folder|image.bin]', 'what the board should hold; without it the sector is checked on its own')
    .option('--leave', 'restart the firmware afterwards even if the board was found in DFU mode')
    .option('--exact', 'time stamps must match too (by default the same files with other time stamps match)')
  addDeviceOptions(addBuildOptions(command), { address: true })
    .addHelpText(
      'after',
      `
The board is left in the mode it was found in (a board running firmware is
switched to DFU mode to read, then restarted).

The same files with other time stamps (a touched or freshly cloned folder)
are a match, with a note; --exact makes them a difference.

Exit codes: 0 matches (or a valid image when nothing is given); 10 differs;
13 no valid image on the board; others as for push.

Examples:
  $ flashdata verify data                   # does the board hold the files of data/?
  $ flashdata verify data --exact           # ... with the same time stamps too
  $ flashdata verify                        # is there a consistent image? list it
  $ flashdata verify data.bin --json --serial e00fce68d1a3c5b7f1e2d3c4`,
    )
    .action(async (input: string | undefined, options: VerifyCliOptions) => {
      const { loadImageSource } = await import('../../files/source.js')
      const { verify } = await import('../../jobs/verify.js')
      const source = input === undefined ? undefined : await loadImageSource([input], packOptions(options, io.env))
      noticeSkipped(io, source, options)
      const expected = source?.image
      await runBoardCommand(
        io,
        options,
        async ({ bus, board, mode, onEvent, endProgress }) => {
          const result = await verify({ bus, ...board, expected, leave: options.leave, exact: options.exact, onEvent })
          endProgress()
          if (mode === 'json') {
            const { listing, ...rest } = result
            printResult(io, 'verify', {
              ...rest,
              image: listingJson(listing, `board ${result.serial}`),
              ...packNotesJson(source),
            })
          } else if (mode !== 'quiet') {
            io.stdout.write(`${summary(result)}\n`)
            if (result.status !== 'match')
              io.stdout.write(renderListing(result.listing, `board ${result.serial}`, stdoutWidth(io)))
          } else if (result.status === 'differs' || result.status === 'no-image') {
            // Quiet means errors only, and a mismatch is one.
            io.stderr.write(`${summary(result)}\n`)
          }
          if (result.status === 'differs') io.exitCode = exitCodeOf('VERIFY_MISMATCH')
          if (result.status === 'no-image') io.exitCode = exitCodeOf('NO_IMAGE_ON_DEVICE')
        },
        undefined,
        { looksOnly: true },
      )
    })
}
