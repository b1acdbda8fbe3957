import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../files/write.js'
import type { ForeignData } from '../jobs/push.js'

/**
 * Saves a sector's foreign contents before it is overwritten:
 * `<dir>/flashdata-backup-<serial>-<time>.bin`, flushed to disk. Returns the path.
 */
export function sectorBackup(dir: string, now: () => Date = () => new Date()): (found: ForeignData) => Promise<string> {
  return async ({ serial, sector }) => {
    await mkdir(dir, { recursive: true })
    const time = now().toISOString().replace(/[:.]/g, '-')
    const path = join(dir, `flashdata-backup-${serial}-${time}.bin`)
    await writeFileAtomic(path, sector)
    return path
  }
}
