/**
 * The one rule for existing outputs, the same for `build -o`, `pull -o`,
 * `extract` and `pull --extract`: a missing path is created; an existing
 * regular file is replaced only with --force; a folder, device, pipe or
 * socket is never replaced. `-o -` is standard output.
 *
 * An image output that is a symbolic link to a regular file is written
 * through (the link stays, its target is replaced). Inside an extract folder
 * links are refused instead: the image chooses those names, not the user.
 */
import { lstat, realpath, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { join } from 'node:path'
import { type Conflict, FlashdataError, type Output } from '../errors.js'
import { printable } from '../image/names.js'

export interface OutputOptions {
  /** Replace existing regular files. */
  force?: boolean
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder'
  if (info.isFIFO()) return 'a named pipe (FIFO)'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device'
  if (info.isSocket()) return 'a socket'
  if (info.isSymbolicLink()) return 'a symbolic link'
  return 'a file'
}

const lstatOrUndefined = (path: string) =>
  lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot check "${printable(path)}": ${error.message}`, {
      details: { path },
      cause: error,
    })
  })

/** What to do about an output of the wrong type, by where it was met. */
function wrongType(path: string, kind: string, wanted: 'file' | 'folder', output: Output): FlashdataError {
  return new FlashdataError(
    'OUTPUT_WRONG_TYPE',
    `"${printable(path)}" is ${kind}, not a ${wanted === 'file' ? 'regular file' : 'folder'}; flashdata does not replace it.`,
    { details: { path, kind, output } },
  )
}

function exists(path: string, output: Output): FlashdataError {
  return new FlashdataError('OUTPUT_EXISTS', `"${printable(path)}" already exists.`, { details: { path, output } })
}

/**
 * Checks an image output path before any work is done and returns the path
 * to write: the path itself, or the target of a symbolic link to a regular file.
 */
export async function checkOutputFile(path: string, options: OutputOptions = {}): Promise<string> {
  if (path === '-') return path
  const link = await lstatOrUndefined(path)
  if (!link) return path
  const target = link.isSymbolicLink() ? await realpath(path).catch(() => undefined) : path
  if (target === undefined) throw wrongType(path, 'a symbolic link to a missing file', 'file', 'image')
  const info = link.isSymbolicLink() ? await stat(target) : link
  if (!info.isFile()) throw wrongType(path, kindOf(info), 'file', 'image')
  if (!options.force) throw exists(path, 'image')
  return target
}

/**
 * Checks a file the jig appends to (its log) or rewrites (its JUnit and CSV
 * reports): missing or a regular file. A FIFO would block the station
 * before its first board, a device cannot be synced, a folder cannot be
 * replaced.
 */
export async function checkAppendFile(path: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot check "${printable(path)}": ${error.message}`, {
      details: { path },
      cause: error,
    })
  })
  if (info && !info.isFile()) throw wrongType(path, kindOf(info), 'file', 'report')
}

/**
 * Checks the folder files will be extracted into: missing (created) or a
 * folder, or a link to one; a dangling link is refused, not created through.
 */
export async function checkOutputFolder(dir: string): Promise<void> {
  const link = await lstatOrUndefined(dir)
  if (!link) return
  const info = link.isSymbolicLink() ? await stat(dir).catch(() => undefined) : link
  if (!info) throw wrongType(dir, 'a symbolic link to a missing folder', 'folder', 'extract-folder')
  if (!info.isDirectory()) throw wrongType(dir, kindOf(info), 'folder', 'extract-folder')
}

/**
 * Checks every file an extract will write, before the first one is written,
 * and throws one error listing every conflict: an existing file (without
 * --force), something that is not a regular file, a link, or a file where a
 * folder is needed. Returns the absolute target of each name.
 */
export async function planExtractTargets(
  root: string,
  names: readonly string[],
  options: OutputOptions = {},
): Promise<string[]> {
  await checkOutputFolder(root)
  const seen = new Map<string, Promise<Stats | undefined>>()
  const look = (path: string) => {
    if (!seen.has(path)) seen.set(path, lstatOrUndefined(path))
    return seen.get(path)!
  }
  const conflicts: FlashdataError[] = []
  const targets: string[] = []
  for (const name of names) {
    const parts = name.split('/')
    let path = root
    let missing = false
    for (const [i, part] of parts.entries()) {
      path = join(path, part)
      if (missing) continue
      const info = await look(path)
      const last = i === parts.length - 1
      if (!info) missing = true
      else if (info.isSymbolicLink()) {
        conflicts.push(
          new FlashdataError(
            'UNSAFE_PATH',
            `"${printable(path)}" is a symbolic link; extract does not write through links.`,
            { details: { path } },
          ),
        )
        break
      } else if (!last && !info.isDirectory()) {
        conflicts.push(wrongType(path, kindOf(info), 'folder', 'in-extract'))
        break
      } else if (last && !info.isFile()) conflicts.push(wrongType(path, kindOf(info), 'file', 'in-extract'))
      else if (last && !options.force) conflicts.push(exists(path, 'in-extract'))
    }
    targets.push(path)
  }
  if (conflicts.length === 0) return targets
  if (conflicts.length === 1) throw conflicts[0]
  const shown = conflicts
    .slice(0, 5)
    .map((c) => c.message)
    .join(' ')
  throw new FlashdataError(
    conflicts[0].code,
    `${conflicts.length} files cannot be extracted; nothing was written. ${shown}${conflicts.length > 5 ? ` And ${conflicts.length - 5} more.` : ''}`,
    {
      details: { conflicts: conflicts.map((c) => ({ code: c.code, ...(c.details as Omit<Conflict, 'code'>) })) },
    },
  )
}
