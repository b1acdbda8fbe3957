/**
 * An exclusive lock on a file between processes. Node has no flock, so the
 * lock is a file beside it (`<file>.lock`), put in place with link(2), which
 * fails if the lock exists and never shows a half-written one. A lock whose
 * owner is gone (killed) is stale and is taken over; a lock left by a process
 * that ended normally is removed at exit.
 *
 * Ownership: the lock holds "<pid> <start> <host>", the owner's pid, its
 * start time (field 22 of /proc/<pid>/stat, clock ticks since boot, see
 * proc(5); "-" where there is no /proc) and the host name. A pid is reused
 * once its process is gone, the start time is not: a live process with that
 * pid but another start time is not the owner, so the lock is stale. A lock
 * in any other form (an older one holding only a pid, garbage) proves no
 * owner and is stale too. A lock from another host (a shared folder) cannot
 * be checked and is held.
 */
import { closeSync, linkSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { FlashdataError } from '../errors.js'

const held = new Set<string>()
let cleanupInstalled = false

export interface LockOwner {
  pid: number
  /** Start time from /proc; undefined where there is none. */
  start?: string
  host: string
}

/** A process's start time (field 22 of /proc/<pid>/stat); undefined without /proc or without that process. */
function startTime(pid: number): string | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces: count the fields after it.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

const ourOwner = (): LockOwner => ({ pid: process.pid, start: startTime(process.pid), host: hostname() })

/**
 * A lock's owner; undefined when it is gone or proves none. Checked with
 * lstat first: a FIFO would block the read for ever, a folder cannot be one.
 */
function readOwner(lock: string): LockOwner | undefined {
  let text: string
  try {
    if (!lstatSync(lock).isFile())
      throw new FlashdataError(
        'INPUT_SPECIAL_FILE',
        `${lock} is not a regular file, so it cannot be the lock the emulated board keeps beside its flash file.`,
        {
          details: { path: lock, sideFile: 'lock' },
        },
      )
    text = readFileSync(lock, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const match = /^(\d+) (\d+|-) (\S+)\n$/.exec(text)
  if (!match) return undefined
  const pid = Number(match[1])
  return Number.isSafeInteger(pid) && pid > 0
    ? { pid, start: match[2] === '-' ? undefined : match[2], host: match[3] }
    : undefined
}

/** Whether the lock's owner still runs: the pid exists (EPERM: someone else's) and, where /proc tells, started when the lock says. */
function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true // cannot be checked from here
  if (owner.pid === process.pid) return false // ours but not in `held`: left by an earlier process that had our pid
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const start = startTime(owner.pid)
  return owner.start === undefined || start === undefined || start === owner.start
}

/** Whether two reads of a lock name the same owner. */
const sameOwner = (a: LockOwner | undefined, b: LockOwner | undefined) =>
  a?.pid === b?.pid && a?.start === b?.start && a?.host === b?.host

/** Puts a lock naming this process at `lock`; false if one exists. */
function place(lock: string): boolean {
  const temporary = `${lock}.${process.pid}.new`
  const fd = openSync(temporary, 'w')
  const owner = ourOwner()
  try {
    writeSync(fd, `${owner.pid} ${owner.start ?? '-'} ${owner.host}\n`)
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

/** Moves a stale lock aside and removes it; the rename lets only one of several takers have it. */
function removeStale(lock: string, stale: LockOwner | undefined): void {
  const aside = `${lock}.${process.pid}.stale`
  try {
    renameSync(lock, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if (!sameOwner(readOwner(aside), stale)) {
    // Replaced by a live owner between our look and the rename: give it back.
    try {
      linkSync(aside, lock)
    } catch {
      // Another lock is in place already; the owner we moved keeps running and will find its lock gone only at release.
    }
  }
  unlinkSync(aside)
}

/**
 * Locks `path` for this process. Returns undefined when locked, or the owner
 * of the lock (this process when another user of the same file inside it
 * holds it). A lock that is not a regular file is INPUT_SPECIAL_FILE; other
 * file-system errors are thrown as they are.
 */
export function lockFile(path: string): LockOwner | undefined {
  const lock = `${path}.lock`
  if (held.has(lock)) return ourOwner()
  for (let attempt = 0; attempt < 5; attempt++) {
    if (place(lock)) {
      held.add(lock)
      installCleanup()
      return undefined
    }
    const owner = readOwner(lock)
    if (owner !== undefined && alive(owner)) return owner
    removeStale(lock, owner)
  }
  throw new FlashdataError('BUSY', `The lock ${lock} changed hands five times while this process tried to take it.`, {
    details: { path: lock },
  })
}

/** Refuses a `<path>.lock` that cannot be a lock (a folder, a FIFO), so a board with one fails when it is opened, not when it is used. */
export function checkLockFile(path: string): void {
  readOwner(`${path}.lock`)
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
