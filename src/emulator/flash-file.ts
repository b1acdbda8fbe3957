/**
 * The emulated flash kept in a file: exactly 1 MiB, offset 0 = 0x08000000,
 * so it can be inspected with any hex tool and outlives the process. An
 * empty file is a factory-fresh board too.
 *
 * Durability: a new file is written in full to a temporary name, fsynced and
 * renamed into place, so it either exists complete or not at all. Afterwards
 * the file never changes size; each erase or program writes only its changed
 * range in place and fdatasyncs before the bootloader reports success. A
 * crash mid-write can leave that one range half old, half new (like a real
 * power cut mid-erase) but never a file the emulator cannot open.
 * One process at a time: the board claims the file (an exclusive lock, see
 * file-lock.ts) while a host has one of its interfaces claimed, and re-reads
 * it then, so what another process wrote before is what it sees.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { FlashdataError } from '../errors.js'
import { bytes, formatBytes } from '../text.js'
import { FLASH_SIZE, factoryFlashContents, type FlashFile, type PersistHook } from './flash.js'
import { checkLockFile, lockFile, unlockFile, type LockOwner } from './file-lock.js'

const READ_ONLY_CODES = ['EACCES', 'EPERM', 'EROFS']

export function openFlashFile(path: string): FlashFile {
  const existing = readOrCreate(path)
  checkLockFile(path)
  // An empty file (made with touch) is a blank board, filled in at its first write, so looking at it writes nothing.
  let unfilled = existing === 'empty'
  const contents = existing === 'empty' ? factoryFlashContents() : existing
  const claim = () => {
    let holder: LockOwner | undefined
    try {
      holder = lockFile(path)
    } catch (error) {
      if (error instanceof FlashdataError) throw error
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (!READ_ONLY_CODES.includes(code))
        throw new FlashdataError(
          'INPUT_UNREADABLE',
          `Cannot lock the emulator flash file ${path}: ${(error as Error).message}`,
          { cause: error },
        )
      throw new FlashdataError(
        'EMULATOR_READ_ONLY',
        `Cannot lock the emulator flash file ${path}: its folder is read-only (${code}).`,
        {
          details: { path, folder: true },
          cause: error,
        },
      )
    }
    if (holder !== undefined) {
      const where = holder.host === hostname() ? '' : ` on ${holder.host}`
      throw new FlashdataError(
        'BUSY',
        `The emulated board ${path} is in use by another process (pid ${holder.pid}${where}).`,
        {
          details: { path, pid: holder.pid, host: holder.host },
        },
      )
    }
    try {
      if (reload(path, contents) === 'empty') {
        contents.set(factoryFlashContents())
        unfilled = true
      } else unfilled = false
    } catch (error) {
      unlockFile(path)
      throw error
    }
  }
  const persist: PersistHook = (offset, bytes) => {
    const fd = openSync(path, 'r+')
    try {
      if (unfilled) writeSync(fd, contents, 0, contents.length, 0)
      else writeSync(fd, bytes, 0, bytes.length, offset)
      fdatasyncSync(fd)
      unfilled = false
    } finally {
      closeSync(fd)
    }
  }
  return { contents, persist, claim, release: () => unlockFile(path) }
}

/**
 * A board whose flash file cannot be opened (malformed, a FIFO, a folder,
 * unreadable): it is on the bus, so listings name it, and every use of it
 * fails with `problem`, as a real board that cannot be opened does.
 */
export function unusableFlashFile(problem: FlashdataError): FlashFile {
  const fail = () => {
    throw problem
  }
  return { contents: factoryFlashContents(), persist: fail, claim: fail, release: () => {} }
}

/** Reads the file again into `contents` ('empty' for a file still empty), opened for writing so that a board that cannot be written says so now. */
function reload(path: string, contents: Uint8Array): 'read' | 'empty' {
  let fd: number
  try {
    fd = openSync(path, 'r+')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    if (!READ_ONLY_CODES.includes(code))
      throw new FlashdataError(
        'INPUT_UNREADABLE',
        `Cannot open the emulator flash file ${path}: ${(error as Error).message}`,
        { cause: error },
      )
    throw new FlashdataError(
      'EMULATOR_READ_ONLY',
      `The emulator flash file ${path} is read-only (${code}): the emulated board cannot be written or used.`,
      {
        details: { path },
        cause: error,
      },
    )
  }
  try {
    const size = fstatSync(fd).size
    if (size === 0) return 'empty'
    if (size !== FLASH_SIZE)
      throw new FlashdataError(
        'INPUT_UNREADABLE',
        `The emulator flash file ${path} was changed by another program (${bytes(size)}).`,
        { details: { path, size } },
      )
    for (let done = 0; done < contents.length; ) {
      const n = readSync(fd, contents, done, contents.length - done, done)
      if (n === 0)
        throw new FlashdataError(
          'INPUT_UNREADABLE',
          `The emulator flash file ${path} was truncated by another program.`,
          { details: { path } },
        )
      done += n
    }
    return 'read'
  } finally {
    closeSync(fd)
  }
}

function readOrCreate(path: string): Uint8Array | 'empty' {
  // Checked before reading: a FIFO would block for ever, a huge file would be read whole.
  let size: number
  try {
    const info = statSync(path)
    if (!info.isFile()) {
      throw new FlashdataError(
        'INPUT_SPECIAL_FILE',
        `${path} is not a regular file, so it cannot be an emulator flash file.`,
        {
          details: { path, flashFile: true },
        },
      )
    }
    size = info.size
  } catch (error) {
    if (error instanceof FlashdataError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return create(path)
    throw new FlashdataError('INPUT_UNREADABLE', `Cannot read the emulator flash file ${path}`, { cause: error })
  }
  if (size === 0) return 'empty'
  if (size !== FLASH_SIZE) {
    throw new FlashdataError(
      'INPUT_UNREADABLE',
      `${path} is not an emulator flash file (${bytes(size)}, expected ${formatBytes(FLASH_SIZE)} or an empty file)`,
      { details: { path, size, flashFile: true } },
    )
  }
  let existing: Buffer
  try {
    existing = readFileSync(path)
  } catch (error) {
    throw new FlashdataError('INPUT_UNREADABLE', `Cannot read the emulator flash file ${path}`, { cause: error })
  }
  return new Uint8Array(existing.buffer, existing.byteOffset, existing.length)
}

function create(path: string): Uint8Array {
  const contents = factoryFlashContents()
  const temporary = `${path}.${process.pid}.tmp`
  try {
    const fd = openSync(temporary, 'w')
    try {
      writeSync(fd, contents)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, path)
    syncDirectory(dirname(path))
  } catch (error) {
    throw new FlashdataError(
      'OUTPUT_UNWRITABLE',
      `Cannot create the emulator flash file ${path}: ${(error as Error).message}`,
      {
        details: { path, output: 'emulator-flash' },
        cause: error,
      },
    )
  }
  return contents
}

/** Makes the rename itself durable; some platforms cannot open directories, which is fine. */
function syncDirectory(directory: string): void {
  let fd: number
  try {
    fd = openSync(directory, 'r')
  } catch {
    return
  }
  try {
    fsyncSync(fd)
  } catch {
    // Directory fsync is not supported everywhere (e.g. Windows).
  } finally {
    closeSync(fd)
  }
}
