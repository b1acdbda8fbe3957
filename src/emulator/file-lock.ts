/**
 * An exclusive lock on a file between processes. Node has no flock, so the
 * lock is a file beside it (`<file>.lock`) holding the owner's pid, put in
 * place with link(2), which fails if the lock exists and never shows a
 * half-written one. A lock whose process is gone (killed) is stale and is
 * taken over; a lock left by a process that ended normally is removed at exit.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs'

const held = new Set<string>()
let cleanupInstalled = false

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Whether a process with this pid exists (EPERM: it does, it is someone else's). */
function alive(pid: number): boolean {
  if (pid === process.pid) return false // ours but not in `held`: left by an earlier process that had our pid
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Puts a lock holding our pid at `lock`; false if one exists. */
function place(lock: string): boolean {
  const temporary = `${lock}.${process.pid}.new`
  const fd = openSync(temporary, 'w')
  try {
    writeSync(fd, `${process.pid}\n`)
  } finally {
    closeSync(fd)
  }
  try {
    linkSync(temporary, lock)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    unlinkSync(temporary)
  }
}

/** Moves a stale lock aside; the rename lets only one of several takers have it. Returns false if it was not the stale one. */
function removeStale(lock: string, stalePid: number | undefined): boolean {
  const aside = `${lock}.${process.pid}.stale`
  try {
    renameSync(lock, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    throw error
  }
  const moved = readPid(aside)
  if (moved !== stalePid) {
    // Replaced by a live owner between our look and the rename: give it back.
    try {
      linkSync(aside, lock)
    } catch {
      // Another lock is in place already; the owner we moved keeps running and will find its lock gone only at release.
    }
    unlinkSync(aside)
    return false
  }
  unlinkSync(aside)
  return true
}

/**
 * Locks `path` for this process. Returns undefined when locked, or the pid
 * of the process that holds it (this process's own when another user of the
 * same file inside it holds it). File-system errors are thrown as they are.
 */
export function lockFile(path: string): number | undefined {
  const lock = `${path}.lock`
  if (held.has(lock)) return process.pid
  for (let attempt = 0; attempt < 5; attempt++) {
    if (place(lock)) {
      held.add(lock)
      installCleanup()
      return undefined
    }
    const pid = readPid(lock)
    if (pid !== undefined && alive(pid)) return pid
    if (!removeStale(lock, pid)) return readPid(lock) ?? pid
  }
  return readPid(lock)
}

export function unlockFile(path: string): void {
  const lock = `${path}.lock`
  if (!held.delete(lock)) return
  try {
    unlinkSync(lock)
  } catch {
    // Already gone (removed by hand): nothing to release.
  }
}

function installCleanup(): void {
  if (cleanupInstalled) return
  cleanupInstalled = true
  process.on('exit', () => {
    for (const lock of held) {
      try {
        unlinkSync(lock)
      } catch {
        // best effort at exit
      }
    }
  })
}
