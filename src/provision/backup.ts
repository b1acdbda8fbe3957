import { constants } from 'node:fs'
import { access, mkdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { FlashdataError } from '../errors.js'
import { writeFileAtomic } from '../files/write.js'
import { printable } from '../image/names.js'
import type { ForeignData } from '../jobs/push.js'
import { childPath } from './child-path.js'

const unwritable = (dir: string, error: NodeJS.ErrnoException) =>
  new FlashdataError('OUTPUT_UNWRITABLE', `Cannot write backups into "${printable(dir)}": ${error.message}`, {
    details: { path: dir, code: error.code, output: 'backup-dir' },
    cause: error,
  })

/**
 * Checks, before any board is touched, that a sector backup can be saved in
 * `dir`: a folder you may write to, or a missing one whose nearest existing
 * parent is (it is created at the first backup). Otherwise a board would
 * first be switched and read, then fail with its sector still to save.
 */
export async function checkBackupDir(dir: string): Promise<void> {
  let path = resolve(dir)
  for (;;) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      // Missing, or under a file: the nearest existing parent says which.
      if ((error.code === 'ENOENT' || error.code === 'ENOTDIR') && dirname(path) !== path) return undefined
      throw unwritable(dir, error)
    })
    if (!info) {
      path = dirname(path)
      continue
    }
    if (!info.isDirectory()) {
      throw new FlashdataError(
        'OUTPUT_WRONG_TYPE',
        path === resolve(dir)
          ? `The backup folder "${printable(dir)}" is a file, not a folder.`
          : `The backup folder "${printable(dir)}" cannot be made: "${printable(path)}" is a file, not a folder.`,
        {
          details: { path: dir, blocking: path, output: 'backup-dir' },
        },
      )
    }
    await access(path, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
      throw unwritable(dir, error)
    })
    return
  }
}

/**
 * Saves a sector's foreign contents before it is overwritten:
 * `<dir>/flashdata-backup-<serial>-<time>.bin`, flushed to disk. Returns the path.
 */
export function sectorBackup(dir: string, now: () => Date = () => new Date()): (found: ForeignData) => Promise<string> {
  return async ({ serial, sector }) => {
    await mkdir(dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw unwritable(dir, error)
    })
    const time = now().toISOString().replace(/[:.]/g, '-')
    const path = childPath(dir, `flashdata-backup-${serial}-${time}.bin`)
    await writeFileAtomic(path, sector)
    return path
  }
}
