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
 * One board per file at a time; concurrent writers are not coordinated.
 */
import { closeSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { FlashdataError } from '../errors.js'
import { FLASH_SIZE, factoryFlashContents, type PersistHook } from './flash.js'

export interface FlashFile {
  contents: Uint8Array
  persist: PersistHook
}

export function openFlashFile(path: string): FlashFile {
  const existing = readOrCreate(path)
  // An empty file (made with touch) is a blank board, filled in at its first write, so looking at it writes nothing.
  let unfilled = existing === 'empty'
  const contents = existing === 'empty' ? factoryFlashContents() : existing
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
  return { contents, persist }
}

function readOrCreate(path: string): Uint8Array | 'empty' {
  // Checked before reading: a FIFO would block for ever, a huge file would be read whole.
  let size: number
  try {
    const info = statSync(path)
    if (!info.isFile()) {
      throw new FlashdataError('INPUT_SPECIAL_FILE', `${path} is not a regular file, so it cannot be an emulator flash file.`, {
        hint: 'Point the emulator at a new path or an empty file to start from a factory-fresh board.', details: { path },
      })
    }
    size = info.size
  } catch (error) {
    if (error instanceof FlashdataError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return create(path)
    throw new FlashdataError('INPUT_UNREADABLE', `Cannot read the emulator flash file ${path}`, { cause: error })
  }
  if (size === 0) return 'empty'
  if (size !== FLASH_SIZE) {
    throw new FlashdataError('INPUT_UNREADABLE', `${path} is not an emulator flash file (${size} bytes, expected ${FLASH_SIZE} or an empty file)`, {
      hint: 'Point the emulator at a new path or an empty file to start from a factory-fresh board.',
      details: { path, size },
    })
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
    throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot create the emulator flash file ${path}`, { cause: error })
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
