import { Option, type Command } from 'commander'
import { exitCodeOf } from '../../errors.js'
import type { JobEvent } from '../../jobs/events.js'
import { FOREIGN_POLICIES } from '../../provision/setting-rules.js'
import type { Control } from '../../station/index.js'
import { JIG_DFU_SWITCH_MS } from '../../timeouts.js'
import { addDeviceOptions, runBoardCommand } from '../device-options.js'
import { hintedRecord, withCliHints } from '../hints.js'
import type { CliIo } from '../io.js'
import { DEFAULT_UI_PORT, type JigCliOptions } from '../jig/options.js'
import { controlText, openPage } from '../jig/page.js'
import { printJigResult } from '../jig/summary.js'
import { addBuildOptions, noticeSkipped, nonEmpty, parseInteger } from '../options.js'
import { addProvisionOptions, parseSetting } from '../provision-options.js'
import { BoardLinesRenderer } from '../render/boards.js'
import { createRenderer } from '../render/progress.js'

export function registerJig(program: Command, io: CliIo): void {
  const command = program
    .command('jig')
    .description('bench station: flash every board that is plugged in, several at once, unattended')
    .argument(
      '[folder|image.bin]',
      'what to write on every board (packed and checked once); with per-board data, the common folder',
      parseSetting('folder'),
    )
    .option(
      '--job <station.json>',
      "read the station's settings from a job file (paths relative to it; options given here override it)",
      nonEmpty,
    )
    .option(
      '-n, --count <boards>',
      'stop after this many boards (a retry of the same board does not count again)',
      parseSetting('count'),
    )
    .option('-t, --timeout <seconds>', 'stop when no board has arrived for this long', parseSetting('timeout'))
    .option('--log <file.ndjson>', 'append one result record per board (flushed at once)', parseSetting('log'))
    .option(
      '--junit <file.xml>',
      'JUnit XML report, one test case per board, rewritten after each board',
      parseSetting('junit'),
    )
    .option('--csv <file.csv>', 'CSV summary, one line per board, rewritten after each board', parseSetting('csv'))
    .option('--slots <file.json>', 'name the USB port paths: {"1-1.2": "A", ...}', parseSetting('slots'))
    .option(
      '--station <name>',
      "this station's name, in every record (default: the host name)",
      parseSetting('station'),
    )
    .addOption(
      new Option(
        '--foreign <policy>',
        'a board whose sector holds other data (e.g. a factory firmware): fail it untouched, or save the sector and overwrite it',
      ).choices(FOREIGN_POLICIES),
    )
    .option('-f, --force', 'rewrite boards that already hold the image')
    .option(
      '--dfu-timeout <seconds>',
      'how long a board may take to come back in DFU mode',
      parseInteger(1, 600),
      JIG_DFU_SWITCH_MS / 1000,
    )
    .option(
      '--ui [port]',
      `also serve the station page (a tile per board, totals, pause/resume/stop, downloads) on this port (default ${DEFAULT_UI_PORT}; 0: a free one)`,
      parseInteger(0, 65535),
    )
    .option(
      '--ui-host <address>',
      'serve the station page on this address instead of 127.0.0.1 (then all it shows and its controls need the token printed with its address)',
      nonEmpty,
    )
  addProvisionOptions(command)
  addDeviceOptions(addBuildOptions(command), { select: false })
    .addHelpText(
      'after',
      `
Boards may arrive running firmware or in DFU mode. Each is switched, pushed,
verified and released; a board that stays plugged in is not flashed twice,
unplugging and replugging it flashes it again. It never prompts. Ctrl-C stops
taking new boards and finishes those in progress; a second Ctrl-C (or
SIGTERM) aborts: every board in progress is logged as aborted (with its phase)
and named, and the exit code is 130.

Per-board data (--per-board, --pool, --generate) builds and checks each
board's own image when it arrives, before any traffic to it; a board whose
data is missing or does not fit fails alone. A pool row is reserved in the
ledger before the erase and committed after the verify. A ledger with a
damaged line is refused before any board is touched (exit 3, the file and
line named); --repair-ledger removes the damaged lines, lists them and keeps
the file as it was in a copy (a row only they held is free again). A last
line cut short by a crash is set aside with a notice.

Exit codes: 0 every board flashed or unchanged; 14 at least one board failed; 16 the pool
ran out (a board was left untouched, whatever else happened); 3 bad input (nothing touched).

Examples:
  $ flashdata jig data --log results.ndjson
  $ flashdata jig data.bin --count 20 --timeout 300 --json > events.ndjson
  $ flashdata jig data --per-board boards --pool certs.csv --junit results.xml
  $ flashdata jig --job station.json --count 50
  $ flashdata jig data --generate 'sh make-cert.sh' --generate-keep-output   its output in each record
  $ flashdata jig data --pool certs.csv --repair-ledger   refused as damaged: remove the damaged lines, then run
  $ flashdata jig data --slots slots.json --ui          the station page on http://127.0.0.1:${DEFAULT_UI_PORT}/
  $ flashdata jig data --ui 0 --ui-host 0.0.0.0          on the network, controls behind a token`,
    )
    .action(async (input: string | undefined, options: JigCliOptions) => {
      const { stationSettings, openImages, jigOptions } = await import('../jig/setup.js')
      const { openOutputs } = await import('../jig/outputs.js')
      const { runJig } = await import('../../jobs/jig.js')
      const { settings, job } = await stationSettings(input, options)
      // Station messages go through the renderer once it runs, so a terminal's live area stays whole.
      let toRenderer: ((event: JobEvent) => void) | undefined
      const images = await openImages(settings, options, io, (message) => {
        toRenderer?.({ type: 'message', level: 'warning', message })
        return toRenderer !== undefined
      })
      noticeSkipped(io, images.source, options)
      const { station, jig } = await jigOptions(settings, job, images, options)
      const outputs = await openOutputs(settings, station)
      const stop = new AbortController()
      const hardStop = new AbortController()
      const say = (message: string) => {
        if (toRenderer) toRenderer({ type: 'message', level: 'info', message })
        else if (!options.json && !options.quiet) io.stderr.write(`${message}\n`)
      }
      const stopTaking = () => {
        stop.abort()
        say('Stopping: finishing the boards in progress (Ctrl-C again to abort).')
      }
      const onControl = (control: Control) => (control === 'stopping' ? stopTaking() : say(controlText(control)))
      const page = await openPage(options, { ...settings, station }, jig, onControl, io)
      const onSigint = () => {
        if (hardStop.signal.aborted) process.exit(exitCodeOf('INTERRUPTED')) // a third: no more waiting, even for the log
        if (stop.signal.aborted) return hardStop.abort()
        if (page)
          page.station.control('stop') // the page shows it, and stops the jig
        else stopTaking()
      }
      // A service manager's stop (SIGTERM) is the hard stop too: the boards in progress get their records.
      const onSigterm = () => {
        if (hardStop.signal.aborted) process.exit(exitCodeOf('INTERRUPTED'))
        stop.abort()
        hardStop.abort()
      }
      process.on('SIGINT', onSigint)
      process.on('SIGTERM', onSigterm)
      try {
        await runBoardCommand(
          io,
          options,
          async ({ bus, mode, onEvent, endProgress }) => {
            toRenderer = onEvent
            const summary = await runJig({
              ...jig,
              bus,
              signal: stop.signal,
              abort: hardStop.signal,
              paused: page?.station.paused,
              onEvent: (event) => {
                const hinted = withCliHints(event)
                page?.station.publish(hinted)
                onEvent(hinted)
              },
              onRecord: (record) => outputs.write(hintedRecord(record)),
            })
            toRenderer = undefined
            endProgress()
            page?.station.publish({ type: 'stopped', stoppedBy: summary.stoppedBy })
            printJigResult(io, mode, summary, images.source)
          },
          (mode) => (mode === 'tty' ? new BoardLinesRenderer(io) : createRenderer(mode, io, { tagged: true })),
          { ownSignals: true },
        )
      } finally {
        process.off('SIGINT', onSigint)
        process.off('SIGTERM', onSigterm)
        await outputs.close()
        await page?.close()
        await images.boardData?.close()
        // The boards' records are on disk: end now, so the pushes still in flight stop talking to their boards.
        if (hardStop.signal.aborted) setTimeout(() => process.exit(exitCodeOf('INTERRUPTED')), 0)
      }
    })
}
