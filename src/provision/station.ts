import { basename, dirname, extname, join } from 'node:path'
import type { BuildFromPathsOptions } from '../files/build.js'
import type { ForeignData } from '../jobs/push.js'
import { sectorBackup } from './backup.js'
import { FileLedger } from './ledger-file.js'
import type { Ledger } from './ledger.js'
import type { StationSettings } from './job.js'
import { isPostgresUrl } from './ledger-url.js'
import { loadPool, type Pool } from './pool.js'
import { isPerBoard, openProvisioner, type Provisioner } from './provisioner.js'

/** The ledger beside the pool: `pool.csv` -> `pool.ledger.ndjson`. */
export function defaultLedgerPath(pool: string): string {
  return join(dirname(pool), `${basename(pool, extname(pool))}.ledger.ndjson`)
}

export async function openLedger(location: string, pool: Pool, station?: string): Promise<Ledger> {
  if (!isPostgresUrl(location)) return new FileLedger(location, pool, station)
  const { openPostgresLedger } = await import('./ledger-postgres.js')
  return openPostgresLedger(location, pool, station)
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
): Promise<BoardData | undefined> {
  const pool = settings.pool ? await loadPool(settings.pool) : undefined
  if (!isPerBoard({ perBoard: settings.perBoard, generate: settings.generate }) && !pool) return undefined
  const ledger = pool
    ? await openLedger(settings.ledger ?? defaultLedgerPath(pool.path), pool, settings.station)
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
