import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises'
import { basename, isAbsolute, join, relative, sep } from 'node:path'
import { FlashdataError } from '../errors.js'
import { tooLarge, type ImageFileInput } from '../image/build.js'
import { makeExcluder } from './glob.js'
import { SECTOR_SIZE } from '../image/format.js'
import { printable } from '../image/names.js'
import { skipReason } from '../image/skip.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

export interface CollectOptions {
  /** Glob patterns of files to leave out (matched against the stored name). */
  exclude?: string[]
  /** Pack version-control folders (.git, .svn, ...) too; they are skipped by default. */
  includeVcs?: boolean
}

export interface SkippedFile {
  path: string
  reason: string
}

export const unmatchedExcludeWarning = (pattern: string): string =>
  `--exclude "${pattern}" matches none of the files to pack.`

export interface CollectedFiles {
  files: ImageFileInput[]
  skipped: SkippedFile[]
  /** Notes for people: --exclude patterns that matched nothing. */
  warnings: string[]
  /** The --exclude patterns that matched nothing (each also has its warning). */
  unmatchedExcludes: string[]
  /** Where each stored name came from, for messages. */
  sources: Map<string, string>
}

function ioError(error: unknown, path: string): FlashdataError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT')
    return new FlashdataError('INPUT_NOT_FOUND', `"${path}" does not exist.`, {
      details: { path },
    })
  return new FlashdataError('INPUT_UNREADABLE', `Cannot read "${path}": ${(error as Error).message}`, {
    details: { path, code },
    cause: error,
  })
}

/** Names as the disk holds them (bytes), so a name that is not UTF-8 gets its own message. */
function utf8Name(name: Buffer, dir: string): string {
  try {
    return utf8.decode(name)
  } catch {
    throw new FlashdataError(
      'NAME_INVALID',
      `A file in "${printable(dir)}" has a name that is not valid UTF-8 (bytes ${name.toString('hex').replace(/(..)/g, '$1 ').trim()}); images store UTF-8 names.`,
      {
        details: { dir, nameHex: name.toString('hex') },
      },
    )
  }
}

/** A folder, or a file under its own name, as it was reached: for the packed-once rule's messages. */
interface Packed {
  /** The input it was reached from. */
  input: string
  /** Its stored name (prefix) in that input; '' for the input itself. */
  stored: string
  /** Reached through a symbolic link. */
  link: boolean
}

function describe(p: Packed): string {
  if (p.stored === '') return `input "${printable(p.input)}"`
  return `${p.link ? 'the link ' : ''}"${printable(p.stored)}" in "${printable(p.input)}"`
}

/**
 * The packed-once rule: every folder, and every file under its own name, is
 * packed at most once. A second way to it (a link to a folder that is packed
 * too, a link back up the tree, an input inside another, the same input
 * twice) is refused, naming both, so nothing is stored twice or left out
 * unnoticed; leaving one way out (--exclude, or an input fewer) chooses
 * the name. A link to a file is a copy under the link's name, as before.
 */
function packedTwice(here: Packed, earlier: Packed, kind: 'folder' | 'file'): FlashdataError {
  const loop =
    here.link && here.input === earlier.input && (earlier.stored === '' || here.stored.startsWith(`${earlier.stored}/`))
  const details = { kind, paths: [earlier, here].map((p) => join(p.input, p.stored)), loop }
  if (loop)
    return new FlashdataError(
      'INPUT_PACKED_TWICE',
      `${capitalise(describe(here))} leads back to ${describe(earlier)}, a folder that contains it: it would be packed endlessly.`,
      { details: { ...details, excludes: [here.stored] } },
    )
  const both = `${describe(earlier)} and ${describe(here)}`
  const message =
    here.stored === '' && earlier.stored === '' && here.input === earlier.input
      ? `Input "${printable(here.input)}" is given twice.`
      : `${capitalise(both)} are the same ${kind}: it would be packed twice.`
  const excludes = [earlier, here].filter((p) => p.stored !== '').map((p) => p.stored)
  return new FlashdataError('INPUT_PACKED_TWICE', message, { details: { ...details, excludes } })
}

const capitalise = (text: string) => text[0].toUpperCase() + text.slice(1)

class Collector {
  readonly result: CollectedFiles = { files: [], skipped: [], warnings: [], unmatchedExcludes: [], sources: new Map() }
  private readonly excluded: (name: string) => string | undefined
  private readonly usedPatterns = new Set<string>()
  /** Every folder, and every file packed under its own name, by real path. */
  private readonly packed = new Map<string, Packed>()

  constructor(private readonly options: CollectOptions) {
    this.excluded = makeExcluder(options.exclude ?? [])
  }

  async addInput(input: string): Promise<void> {
    const info = await stat(input).catch((e) => {
      throw ioError(e, input)
    })
    if (!info.isDirectory() && !info.isFile()) {
      throw new FlashdataError('INPUT_NOT_DIRECTORY', `"${input}" is neither a folder nor a regular file.`, {
        details: { path: input },
      })
    }
    const real = await realPath(input)
    const kind = info.isDirectory() ? 'folder' : 'file'
    this.claim(real, { input, stored: '', link: false }, kind)
    if (info.isDirectory()) return this.addDir(input, real, { input, stored: '', link: false })
    return this.addFile(input, basename(input))
  }

  /** A warning for each --exclude pattern that matched nothing: a mistyped one packs what it meant to leave out. */
  finish(): void {
    for (const pattern of this.options.exclude ?? []) {
      if (this.usedPatterns.has(pattern)) continue
      this.result.unmatchedExcludes.push(pattern)
      this.result.warnings.push(unmatchedExcludeWarning(pattern))
    }
  }

  private claim(real: string, here: Packed, kind: 'folder' | 'file'): void {
    const earlier = this.packed.get(real)
    if (earlier) throw packedTwice(here, earlier, kind)
    this.packed.set(real, here)
  }

  private async addDir(dir: string, root: string, at: Packed): Promise<void> {
    const raw = await readdir(dir, { encoding: 'buffer' }).catch((e) => {
      throw ioError(e, dir)
    })
    // Byte order of UTF-8 names, the order the image stores them in.
    raw.sort(Buffer.compare)
    for (const name of raw.map((n) => utf8Name(n, dir))) {
      const path = join(dir, name)
      const stored = at.stored === '' ? name : `${at.stored}/${name}`
      const reason = skipReason(name, this.options.includeVcs)
      if (reason) {
        this.result.skipped.push({ path, reason })
        continue
      }
      const pattern = this.excluded(stored)
      if (pattern) {
        this.usedPatterns.add(pattern)
        this.result.skipped.push({ path, reason: `excluded by ${pattern}` })
        continue
      }
      const link = (
        await lstat(path).catch((e) => {
          throw ioError(e, path)
        })
      ).isSymbolicLink()
      const real = await realPath(path)
      if (link) checkLinkInside(path, real, root)
      const info = await stat(path).catch((e) => {
        throw ioError(e, path)
      })
      const here = { input: at.input, stored, link }
      if (info.isDirectory()) {
        this.claim(real, here, 'folder')
        await this.addDir(path, root, here)
      } else if (info.isFile()) {
        // A link to a file is a copy under the link's name; the file itself is claimed under its own.
        if (!link) this.claim(real, here, 'file')
        await this.addFile(path, stored)
      } else {
        throw new FlashdataError(
          'INPUT_SPECIAL_FILE',
          `"${path}" is a special file (device, socket or pipe), not a regular file.`,
          {
            details: { path },
          },
        )
      }
    }
  }

  private async addFile(path: string, name: string): Promise<void> {
    const info = await stat(path).catch((e) => {
      throw ioError(e, path)
    })
    if (info.size > SECTOR_SIZE) throw tooLarge(path, info.size, 'file', 'stored in it')
    const data = await readFile(path).catch((e) => {
      throw ioError(e, path)
    })
    const mtime = Math.floor(info.mtimeMs / 1000)
    this.result.files.push({ name, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mtime })
    const earlier = this.result.sources.get(name)
    if (earlier) {
      throw new FlashdataError('DUPLICATE_NAME', `"${earlier}" and "${path}" would both be stored as "${name}".`, {
        details: { name, paths: [earlier, path] },
      })
    }
    this.result.sources.set(name, path)
  }
}

const realPath = (path: string) =>
  realpath(path).catch((e) => {
    throw ioError(e, path)
  })

const isInside = (path: string, folder: string) => {
  const rel = relative(folder, path)
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

/** A link inside a folder must point inside it (to the folder itself: a loop, refused by the packed-once rule). */
function checkLinkInside(path: string, target: string, root: string): void {
  if (target === root || isInside(target, root)) return
  throw new FlashdataError(
    'INPUT_SYMLINK_ESCAPE',
    `"${path}" is a symbolic link to "${target}", outside the folder being packed.`,
    {
      details: { path, target },
    },
  )
}

/**
 * Reads the files to pack from folders (stored under their relative path
 * with '/') and single files (stored under their base name), checking every
 * input problem before anything is built or written.
 */
export async function collectFiles(inputs: string[], options: CollectOptions = {}): Promise<CollectedFiles> {
  if (inputs.length === 0) throw new FlashdataError('BAD_OPTION', 'No input folder or files given.')
  const collector = new Collector(options)
  for (const input of inputs) await collector.addInput(input)
  collector.finish()
  if (collector.result.files.length === 0) {
    throw new FlashdataError(
      'INPUT_EMPTY',
      `No files to pack in ${inputs.map((i) => `"${i}"`).join(', ')}${collector.result.skipped.length ? ` (${collector.result.skipped.length} skipped)` : ''}.`,
      {
        details: { inputs },
      },
    )
  }
  return collector.result
}
