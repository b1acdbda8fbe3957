import { hostname } from 'node:os'
import { CliError } from '../hints.js'
import { loadImageSource, type ImageSource } from '../../files/source.js'
import type { JigOptions } from '../../jobs/jig/options.js'
import { checkSettings, loadJob, loadSlots, mergeSettings, type Job } from '../../provision/job.js'
import type { StationSettings } from '../../provision/setting-rules.js'
import { foreignHandler, openBoardData, type BoardData } from '../../provision/station.js'
import type { CliIo } from '../io.js'
import { packOptions } from '../options.js'
import { ledgerOptions } from '../provision-options.js'
import { version } from '../version.js'
import { flagSettings, type JigCliOptions } from './options.js'

// The station is set up in this order, each step checked before the next and before any board is touched.

/** The job file's settings, overridden by the command line's, checked. */
export async function stationSettings(
  input: string | undefined,
  options: JigCliOptions,
): Promise<{ settings: StationSettings; job?: Job }> {
  const job = options.job ? await loadJob(options.job) : undefined
  const settings = mergeSettings(job?.settings, flagSettings(input, options))
  if (!settings.folder)
    throw new CliError(
      'BAD_OPTION',
      'Nothing to write: give a folder or image, or a job file with "folder".',
      'Example: flashdata jig data, or flashdata jig --job station.json',
    )
  await checkSettings(settings, job ? `from ${job.path} or the command line` : 'from the command line')
  return { settings, job }
}

/**
 * What the boards get: per-board data (its ledger opened and checked) or one
 * common image. `warn` shows a ledger notice through the renderer once it runs.
 */
export async function openImages(
  settings: StationSettings,
  options: JigCliOptions,
  io: CliIo,
  warn: (message: string) => boolean,
): Promise<{ boardData?: BoardData; source?: ImageSource }> {
  const build = { ...packOptions(options, io.env), nulTerminate: settings.nulTerminate }
  const boardData = await openBoardData(settings, build, ledgerOptions(io, options, settings, warn))
  const source = boardData ? undefined : await loadImageSource([settings.folder!], build)
  return { boardData, source }
}

/** The jig's options but the bus, and the station's name that goes in every record. */
export async function jigOptions(
  settings: StationSettings,
  job: Job | undefined,
  images: { boardData?: BoardData; source?: ImageSource },
  options: JigCliOptions,
): Promise<{ station: string; jig: Omit<JigOptions, 'bus'> }> {
  const station = settings.station ?? hostname()
  const backupDir = settings.backupDir ?? settings.cwd ?? process.cwd()
  if (settings.foreign === 'backup-and-overwrite') {
    const { checkBackupDir } = await import('../../provision/backup.js')
    await checkBackupDir(backupDir)
  }
  const jig: Omit<JigOptions, 'bus'> = {
    image: images.source?.image,
    prepare: images.boardData?.provisioner.prepare,
    slots: await loadSlots(settings.slots),
    stamp: { station, host: hostname(), version, jobSha256: job?.sha256 },
    onForeign: foreignHandler(settings.foreign, backupDir),
    count: settings.count,
    idleTimeoutMs: settings.timeout === undefined ? undefined : settings.timeout * 1000,
    force: options.force,
    dfuTimeoutMs: options.dfuTimeout * 1000,
  }
  return { station, jig }
}
