import { basename, dirname, extname, join } from 'node:path'
import type { BuildFromPathsOptions } from '../files/build.js'
import type { ForeignData } from '../jobs/push.js'
import { sectorBackup } from './backup.js'
import { FlashdataError } from '../errors.js'
import { FileLedger, repairLedgerFile } from './ledger-file.js'
import type { Ledger } from './ledger.js'
import type { StationSettings } from './setting-rules.js'
import { isPostgresUrl } from './ledger-url.js'
import { loadPool, type Pool } from './pool.js'
import { isPerBoard, openProvisioner, type Provisioner } from './provisioner.js'

/** The ledger beside the pool: `pool.csv` -> `pool.ledger.ndjson`. */
function defaultLedgerPath(pool: string): string {
  return join(dirname(pool), `${basename(pool, extname(pool))}.ledger.ndjson`)
}

export interface LedgerOptions {
  /** Remove a ledger file's damaged lines first (kept in a copy), instead of refusing it. */
  repair?: boolean
  /** What a repair did, and a torn last line set aside: for people. */
  onNotice?: (message: string) => void
}

/** Opens the ledger and checks it whole: a damaged one is refused (LEDGER_CORRUPT) before any board is touched. */
async function openLedger(
  location: string,
  pool: Pool,
  station?: string,
  options: LedgerOptions = {},
): Promise<Ledger> {
  if (isPostgresUrl(location)) {
    if (options.repair)
      throw new FlashdataError(
        'BAD_OPTION',
        '--repair-ledger repairs a ledger file; a PostgreSQL ledger refuses damaged rows itself.',
        { details: { option: '--repair-ledger' } },
      )
    const { openPostgresLedger } = await import('./ledger-postgres.js')
    return openPostgresLedger(location, pool, station)
  }
  if (options.repair) options.onNotice?.(await repairLedgerFile(location, pool))
  const ledger = new FileLedger(location, pool, station, options.onNotice)
  await ledger.check()
  return ledger
}

export interface BoardData {
  provisioner: Provisioner
  ledger?: Ledger
  close(): Promise<void>
}

/**
 * Per-board data for push and jig, from the settings: undefined when none is
 * configured (one common image then serves every board).
 */
export async function openBoardData(
  settings: StationSettings,
  build: BuildFromPathsOptions,
  ledgerOptions: LedgerOptions = {},
): Promise<BoardData | undefined> {
  const pool = settings.pool ? await loadPool(settings.pool) : undefined
  if (!isPerBoard({ perBoard: settings.perBoard, generate: settings.generate }) && !pool) return undefined
  const ledger = pool
    ? await openLedger(settings.ledger ?? defaultLedgerPath(pool.path), pool, settings.station, ledgerOptions)
    : undefined
  try {
    const provisioner = await openProvisioner({
      folder: settings.folder!,
      perBoard: settings.perBoard,
      perBoardOptional: settings.perBoardOptional,
      ledger,
      generate: settings.generate,
      generateTimeoutMs: settings.generateTimeout === undefined ? undefined : settings.generateTimeout * 1000,
      generateCwd: settings.cwd,
      generateKeepOutput: settings.generateKeepOutput,
      ...build,
    })
    return {
      provisioner,
      ledger,
      close: async () => {
        await ledger?.close()
      },
    }
  } catch (error) {
    await ledger?.close()
    throw error
  }
}

/** The foreign-data handler a policy gives: a backup writer, or none (such a board fails untouched). */
export function foreignHandler(
  policy: StationSettings['foreign'],
  dir: string,
): ((found: ForeignData) => Promise<string>) | undefined {
  return policy === 'backup-and-overwrite' ? sectorBackup(dir) : undefined
}
