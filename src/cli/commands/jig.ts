import { open } from 'node:fs/promises'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { Option, type Command } from 'commander'
import { exitCodeOf, FlashdataError } from '../../errors.js'
import type { JobEvent } from '../../jobs/events.js'
import type { JigOptions, JigRecord, JigSummary } from '../../jobs/jig.js'
import type { StationSettings } from '../../provision/job.js'
import { addDeviceOptions, runBoardCommand, type DeviceCliOptions } from '../device-options.js'
import { boardPlace, plural } from '../format.js'
import { printResult, type CliIo } from '../io.js'
import {
  addBuildOptions,
  noticeSkipped,
  nonEmpty,
  packNotesJson,
  packOptions,
  parseInteger,
  type BuildCliOptions,
} from '../options.js'
import {
  addProvisionOptions,
  ledgerOptions,
  parseSetting,
  provisionSettings,
  type ProvisionCliOptions,
} from '../provision-options.js'
import { FOREIGN_POLICIES } from '../../provision/setting-rules.js'
import { BoardLinesRenderer } from '../render/boards.js'
import { createRenderer } from '../render/progress.js'
import { version } from '../version.js'
import type { Control, StationJob, StationPage } from '../../station/index.js'

interface JigCliOptions extends DeviceCliOptions, BuildCliOptions, ProvisionCliOptions {
  job?: string
  count?: number
  timeout?: number
  log?: string
  junit?: string
  csv?: string
  slots?: string
  station?: string
  foreign?: 'fail' | 'backup-and-overwrite'
  force?: boolean
  dfuTimeout: number
  ui?: number | true
  uiHost?: string
}

/** The station page's port when --ui is given without one (flashdata web's is 8000). */
const DEFAULT_UI_PORT = 8001

/** Appends one NDJSON record per board and flushes it to disk at once. */
async function openLog(
  path: string | undefined,
): Promise<{ write(record: JigRecord): Promise<void>; close(): Promise<void> }> {
  if (!path) return { write: async () => {}, close: async () => {} }
  const { checkAppendFile } = await import('../../files/output.js')
  await checkAppendFile(path)
  const handle = await open(path, 'a').catch((error: Error) => {
    throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot open the log "${path}": ${error.message}`, {
      details: { path },
    })
  })
  return {
    write: async (record) => {
      await handle.appendFile(`${JSON.stringify(record)}\n`)
      await handle.datasync()
    },
    close: () => handle.close(),
  }
}

/** Why the station stopped, in words (the JSON keeps stoppedBy's codes). */
const STOPPED: Record<JigSummary['stoppedBy'], string> = {
  count: 'the --count of boards is done',
  timeout: 'no board arrived within --timeout',
  signal: 'by the operator: Ctrl-C or Stop on the station page',
  'pool-exhausted': 'the pool is exhausted',
  abort: 'aborted',
}

/** `failed`: the boards whose last attempt failed. */
function summaryText(s: Omit<JigSummary, 'records'>, failed: JigRecord[]): string {
  const retries = s.attempts > s.boards ? ` (${plural(s.attempts, 'attempt')})` : ''
  return (
    `Station stopped (${STOPPED[s.stoppedBy]}): ${plural(s.boards, 'board')}${retries}, ${s.flashed} flashed, ${s.unchanged} unchanged, ${s.failed} failed; ${(s.averageMs / 1000).toFixed(2)} s per board on average.\n` +
    failed
      .map(
        (r) =>
          `  ✖ ${r.serial}${boardPlace(r.slot, r.port) ? ` (${boardPlace(r.slot, r.port)})` : ''} ${r.outcome === 'aborted' ? 'aborted' : 'failed'}${r.failedPhase ? ` during ${r.failedPhase}` : ''}: ${r.error?.message}\n`,
      )
      .join('')
  )
}

/** The hard stop's error: which boards were left incomplete, each in its phase. */
function abortError(records: JigRecord[], totals: Omit<JigSummary, 'records'>): FlashdataError {
  const left = records.filter((r) => r.outcome === 'aborted')
  const which = left.length
    ? `${plural(left.length, 'board')} left incomplete: ${left.map((r) => `${r.serial} (during ${r.failedPhase})`).join(', ')}`
    : 'no board was in progress'
  return new FlashdataError('INTERRUPTED', `Aborted (a second Ctrl-C, or SIGTERM); ${which}.`, {
    hint: left.length
      ? 'Their sectors may hold half-written images: put them back on the station (or push to them) to flash them again.'
      : undefined,
    details: { aborted: left.map((r) => ({ serial: r.serial, phase: r.failedPhase })), summary: totals },
  })
}

const abs = (path: string | undefined) => (path === undefined ? undefined : resolve(path))

/** Serves the station page and prints its address (with the token when exposed). */
async function openPage(
  options: JigCliOptions,
  settings: StationSettings,
  image: Uint8Array | undefined,
  slots: Record<string, string> | undefined,
  onControl: (control: Control) => void,
  io: CliIo,
): Promise<StationPage> {
  const { openStationPage } = await import('../../station/index.js')
  const { sectorImage } = await import('../../image/parse.js')
  const listing = image ? sectorImage(image).listing : undefined
  const job: StationJob = {
    station: settings.station!,
    slots,
    image:
      image && listing
        ? {
            size: listing.header!.totalSize,
            crc: listing.header!.crc,
            files: listing.files.map((f) => ({ name: f.name, length: f.length })),
          }
        : undefined,
    sources: image ? undefined : { perBoard: settings.perBoard, pool: settings.pool, generate: settings.generate },
  }
  const page = await openStationPage({
    host: options.uiHost ?? '127.0.0.1',
    port: options.ui === true || options.ui === undefined ? DEFAULT_UI_PORT : options.ui,
    exposed: options.uiHost !== undefined,
    job,
    onControl,
  })
  const token = page.server.token
    ? '  On the network: its state, controls and downloads need the token in this address (keep it to those who run the station).\n'
    : ''
  io.stderr.write(`Station page: ${page.server.url}\n${token}`)
  return page
}

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
    .option('--dfu-timeout <seconds>', 'how long a board may take to come back in DFU mode', parseInteger(1, 600), 20)
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
      const { loadJob, mergeSettings, checkSettings, loadSlots } = await import('../../provision/job.js')
      const { openBoardData, foreignHandler } = await import('../../provision/station.js')
      const { Reports } = await import('../../provision/reports.js')
      const { loadImageSource } = await import('../../files/source.js')
      const { lastAttempts, runJig } = await import('../../jobs/jig.js')
      const job = options.job ? await loadJob(options.job) : undefined
      const cli: StationSettings = {
        ...provisionSettings(options),
        folder: abs(input),
        count: options.count,
        timeout: options.timeout,
        log: abs(options.log),
        junit: abs(options.junit),
        csv: abs(options.csv),
        slots: abs(options.slots),
        station: options.station,
        foreign: options.foreign,
        nulTerminate: options.nulTerminate,
      }
      const settings = mergeSettings(job?.settings, cli)
      if (!settings.folder)
        throw new FlashdataError(
          'BAD_OPTION',
          'Nothing to write: give a folder or image, or a job file with "folder".',
          { hint: 'Example: flashdata jig data, or flashdata jig --job station.json' },
        )
      await checkSettings(settings, job ? `from ${job.path} or the command line` : 'from the command line')
      const build = { ...packOptions(options, io.env), nulTerminate: settings.nulTerminate }
      // Station messages go through the renderer once it runs, so a terminal's live area stays whole.
      let toRenderer: ((event: JobEvent) => void) | undefined
      const boardData = await openBoardData(
        settings,
        build,
        ledgerOptions(io, options, settings, (message) => {
          toRenderer?.({ type: 'message', level: 'warning', message })
          return toRenderer !== undefined
        }),
      )
      const source = boardData ? undefined : await loadImageSource([settings.folder], build)
      noticeSkipped(io, source, options)
      const station = settings.station ?? hostname()
      const backupDir = settings.backupDir ?? settings.cwd ?? process.cwd()
      if (settings.foreign === 'backup-and-overwrite') {
        const { checkBackupDir } = await import('../../provision/backup.js')
        await checkBackupDir(backupDir)
      }
      const jig: Omit<JigOptions, 'bus'> = {
        image: source?.image,
        prepare: boardData?.provisioner.prepare,
        slots: await loadSlots(settings.slots),
        stamp: { station, host: hostname(), version, jobSha256: job?.sha256 },
        onForeign: foreignHandler(settings.foreign, backupDir),
        count: settings.count,
        idleTimeoutMs: settings.timeout === undefined ? undefined : settings.timeout * 1000,
        force: options.force,
        dfuTimeoutMs: options.dfuTimeout * 1000,
      }
      const log = await openLog(settings.log)
      const { checkAppendFile } = await import('../../files/output.js')
      for (const report of [settings.junit, settings.csv]) if (report) await checkAppendFile(report)
      const reports = new Reports({ junit: settings.junit, csv: settings.csv }, station)
      await reports.flush() // an empty report at once: a report path that cannot be written stops the station before any board
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
      const page =
        options.ui === undefined && options.uiHost === undefined
          ? undefined
          : await openPage(
              options,
              { ...settings, station },
              source?.image,
              jig.slots,
              (control) => {
                if (control === 'stopping') stopTaking()
                else
                  say(
                    control === 'paused'
                      ? 'Paused from the station page: no new board is taken; the boards in progress finish.'
                      : 'Resumed from the station page.',
                  )
              },
              io,
            )
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
              onEvent: page
                ? (event) => {
                    page.station.publish(event)
                    onEvent(event)
                  }
                : onEvent,
              onRecord: async (record) => {
                await log.write(record)
                await reports.add(record)
              },
            })
            toRenderer = undefined
            endProgress()
            page?.station.publish({ type: 'stopped', stoppedBy: summary.stoppedBy })
            const { records, ...totals } = summary
            // The hard stop ends with its error line (the totals in its details), not a result.
            if (mode === 'json' && summary.stoppedBy !== 'abort')
              printResult(io, 'jig', { ...totals, ...packNotesJson(source) })
            else if (mode !== 'json' && (mode !== 'quiet' || summary.failed > 0))
              io.stdout.write(
                summaryText(
                  totals,
                  lastAttempts(records).filter((r) => r.outcome === 'failed' || r.outcome === 'aborted'),
                ),
              )
            if (summary.stoppedBy === 'abort') throw abortError(records, totals)
            // The pool running out is said whatever else happened: a board was left without its data.
            if (summary.stoppedBy === 'pool-exhausted') io.exitCode = exitCodeOf('POOL_EXHAUSTED')
            else if (summary.failed > 0) io.exitCode = exitCodeOf('JIG_FAILURES')
          },
          (mode) => (mode === 'tty' ? new BoardLinesRenderer(io) : createRenderer(mode, io, { tagged: true })),
          { ownSignals: true },
        )
      } finally {
        process.off('SIGINT', onSigint)
        process.off('SIGTERM', onSigterm)
        await log.close()
        await page?.close()
        await boardData?.close()
        // The boards' records are on disk: end now, so the pushes still in flight stop talking to their boards.
        if (hardStop.signal.aborted) setTimeout(() => process.exit(exitCodeOf('INTERRUPTED')), 0)
      }
    })
}
