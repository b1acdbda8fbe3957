import { open } from 'node:fs/promises'
import type { Command } from 'commander'
import { exitCodeOf, FlashdataError } from '../../errors.js'
import type { JigRecord, JigSummary } from '../../jobs/jig.js'
import { addDeviceOptions, runBoardCommand, type DeviceCliOptions } from '../device-options.js'
import { plural } from '../format.js'
import { printJson, type CliIo } from '../io.js'
import { addBuildOptions, noticeSkipped, nonEmpty, packOptions, parseInteger, type BuildCliOptions } from '../options.js'
import { BoardLinesRenderer } from '../render/boards.js'
import { createRenderer } from '../render/progress.js'

interface JigCliOptions extends DeviceCliOptions, BuildCliOptions {
  count?: number
  timeout?: number
  log?: string
  force?: boolean
  dfuTimeout: number
}

/** Appends one NDJSON record per board and flushes it to disk at once. */
async function openLog(path: string | undefined): Promise<{ write(record: JigRecord): Promise<void>; close(): Promise<void> }> {
  if (!path) return { write: async () => {}, close: async () => {} }
  const { checkAppendFile } = await import('../../files/output.js')
  await checkAppendFile(path)
  const handle = await open(path, 'a').catch((error: Error) => {
    throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot open the log "${path}": ${error.message}`, { details: { path } })
  })
  return {
    write: async (record) => {
      await handle.appendFile(`${JSON.stringify(record)}\n`)
      await handle.datasync()
    },
    close: () => handle.close(),
  }
}

/** `failed`: the boards whose last attempt failed. */
function summaryText(s: Omit<JigSummary, 'records'>, failed: JigRecord[]): string {
  const flashed = s.passed - s.unchanged
  const retries = s.attempts > s.boards ? ` (${plural(s.attempts, 'attempt')})` : ''
  return `Station stopped (${s.stoppedBy}): ${plural(s.boards, 'board')}${retries}, ${flashed} flashed, ${s.unchanged} unchanged, ${s.failed} failed; average ${(s.averageMs / 1000).toFixed(2)} s per board.\n`
    + failed.map((r) => `  FAILED ${r.serial}${r.failedPhase ? ` during ${r.failedPhase}` : ''}: ${r.error?.code} ${r.error?.message}\n`).join('')
}

export function registerJig(program: Command, io: CliIo): void {
  const command = program
    .command('jig')
    .description('bench station: flash every board that is plugged in, several at once, unattended')
    .argument('<folder|image.bin>', 'what to write on every board (packed and checked once)')
    .option('-n, --count <boards>', 'stop after this many boards (a retry of the same board does not count again)', parseInteger(1, 1_000_000))
    .option('-t, --timeout <seconds>', 'stop when no board has arrived for this long', parseInteger(1, 86_400))
    .option('--log <file.ndjson>', 'append one result record per board (flushed at once)', nonEmpty)
    .option('-f, --force', 'rewrite boards that already hold the image')
    .option('--dfu-timeout <seconds>', 'how long a board may take to come back in DFU mode', parseInteger(1, 600), 20)
  addDeviceOptions(addBuildOptions(command), { select: false })
    .addHelpText('after', `
Boards may arrive running firmware or in DFU mode. Each is switched, pushed,
verified and released; a board that stays plugged in is not flashed twice,
unplugging and replugging it flashes it again. It never prompts. Ctrl-C stops
taking new boards and finishes those in progress; a second Ctrl-C aborts.

Exit codes: 0 every board passed; 14 at least one board failed; 3 bad input.

Examples:
  $ flashdata jig data --log results.ndjson
  $ flashdata jig data.bin --count 20 --timeout 300 --json > events.ndjson`)
    .action(async (input: string, options: JigCliOptions) => {
      const { loadImageSource } = await import('../../files/source.js')
      const { lastAttempts, runJig } = await import('../../jobs/jig.js')
      const source = await loadImageSource([input], packOptions(options, io.env))
      noticeSkipped(io, source.skipped, options)
      const log = await openLog(options.log)
      const stop = new AbortController()
      const onSigint = () => {
        if (stop.signal.aborted) process.exit(130)
        stop.abort()
        if (!options.json && !options.quiet) io.stderr.write('Stopping: finishing the boards in progress (Ctrl-C again to abort).\n')
      }
      process.on('SIGINT', onSigint)
      try {
        await runBoardCommand(io, options, async ({ bus, mode, onEvent, endProgress }) => {
          const summary = await runJig({
            bus, image: source.image, count: options.count, idleTimeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
            signal: stop.signal, force: options.force, dfuTimeoutMs: options.dfuTimeout * 1000,
            onRecord: (record) => log.write(record), onEvent,
          })
          endProgress()
          const { records, ...totals } = summary
          if (mode === 'json') printJson(io, { type: 'summary', ...totals })
          else if (mode !== 'quiet' || summary.failed > 0) io.stdout.write(summaryText(totals, lastAttempts(records).filter((r) => r.outcome === 'failed')))
          if (summary.failed > 0) io.exitCode = exitCodeOf('JIG_FAILURES')
        }, (mode) => (mode === 'tty' ? new BoardLinesRenderer(io) : createRenderer(mode, io, { tagged: true })))
      } finally {
        process.off('SIGINT', onSigint)
        await log.close()
      }
    })
}
