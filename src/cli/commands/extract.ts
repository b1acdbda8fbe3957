import type { Command } from 'commander'
import { plural } from '../format.js'
import { printResult, type CliIo } from '../io.js'
import { nonEmpty } from '../options.js'

interface ExtractOptions {
  output: string
  force?: boolean
  json?: boolean
  quiet?: boolean
}

export function registerExtract(program: Command, io: CliIo): void {
  program
    .command('extract')
    .description('write every file of an image back into a folder, with its modification time')
    .argument('<image.bin>', 'the image file')
    .requiredOption('-o, --output <dir>', 'folder to write into (created if missing)', nonEmpty)
    .option('-f, --force', 'overwrite files that already exist')
    .option('--json', 'print the written files as one JSON object')
    .option('-q, --quiet', 'print nothing but errors')
    .addHelpText(
      'after',
      `
Examples:
  $ flashdata extract data.bin -o data-copy
  $ flashdata extract pulled.bin -o data --force`,
    )
    .action(async (input: string, options: ExtractOptions) => {
      const { extractImage } = await import('../../files/extract.js')
      const { readImageFile } = await import('../../files/source.js')
      const files = await extractImage(await readImageFile(input), options.output, { force: options.force })
      if (options.json) printResult(io, 'extract', { output: options.output, files })
      else if (!options.quiet) io.stdout.write(`Extracted ${plural(files.length, 'file')} into ${options.output}\n`)
    })
}
