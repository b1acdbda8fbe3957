import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises'
import { basename, join, relative, sep } from 'node:path'
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

export interface CollectedFiles {
  files: ImageFileInput[]
  skipped: SkippedFile[]
  /** Where each stored name came from, for messages. */
  sources: Map<string, string>
}

function ioError(error: unknown, path: string): FlashdataError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT')
    return new FlashdataError('INPUT_NOT_FOUND', `"${path}" does not exist.`, {
      hint: 'Check the path.',
      details: { path },
    })
  return new FlashdataError('INPUT_UNREADABLE', `Cannot read "${path}": ${(error as Error).message}`, {
    hint: 'Check the file permissions.',
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
        hint: 'Rename it (for example with convmv) or leave it out with --exclude.',
        details: { dir, nameHex: name.toString('hex') },
      },
    )
  }
}

class Collector {
  readonly result: CollectedFiles = { files: [], skipped: [], sources: new Map() }
  private readonly excluded: (name: string) => string | undefined
  private readonly visitedDirs = new Set<string>()

  constructor(private readonly options: CollectOptions) {
    this.excluded = makeExcluder(options.exclude ?? [])
  }

  async addInput(input: string): Promise<void> {
    const info = await stat(input).catch((e) => {
      throw ioError(e, input)
    })
    if (info.isDirectory()) return this.addDir(input, await realpath(input), '')
    if (info.isFile()) return this.addFile(input, basename(input))
    throw new FlashdataError('INPUT_NOT_DIRECTORY', `"${input}" is neither a folder nor a regular file.`, {
      hint: 'Give a folder of files, or files.',
      details: { path: input },
    })
  }

  private async addDir(dir: string, root: string, prefix: string): Promise<void> {
    const real = await realpath(dir)
    if (this.visitedDirs.has(real)) return // a link back up the tree: already packed
    this.visitedDirs.add(real)
    const raw = await readdir(dir, { encoding: 'buffer' }).catch((e) => {
      throw ioError(e, dir)
    })
    // Byte order of UTF-8 names, the order the image stores them in.
    raw.sort(Buffer.compare)
    for (const name of raw.map((n) => utf8Name(n, dir))) {
      const path = join(dir, name)
      const stored = prefix + name
      const reason = skipReason(name, this.options.includeVcs)
      if (reason) {
        this.result.skipped.push({ path, reason })
        continue
      }
      const pattern = this.excluded(stored)
      if (pattern) {
        this.result.skipped.push({ path, reason: `excluded by ${pattern}` })
        continue
      }
      const link = await lstat(path).catch((e) => {
        throw ioError(e, path)
      })
      if (link.isSymbolicLink()) await this.checkLinkInside(path, root)
      const info = await stat(path).catch((e) => {
        throw ioError(e, path)
      })
      if (info.isDirectory()) await this.addDir(path, root, `${stored}/`)
      else if (info.isFile()) await this.addFile(path, stored)
      else {
        throw new FlashdataError(
          'INPUT_SPECIAL_FILE',
          `"${path}" is a special file (device, socket or pipe), not a regular file.`,
          {
            hint: 'Remove it from the folder or leave it out with --exclude.',
            details: { path },
          },
        )
      }
    }
  }

  private async checkLinkInside(path: string, root: string): Promise<void> {
    const target = await realpath(path).catch((e) => {
      throw ioError(e, path)
    })
    const rel = relative(root, target)
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || rel.startsWith(sep)) {
      throw new FlashdataError(
        'INPUT_SYMLINK_ESCAPE',
        `"${path}" is a symbolic link to "${target}", outside the folder being packed.`,
        {
          hint: 'Copy the file into the folder instead of linking to it, or leave it out with --exclude.',
          details: { path, target },
        },
      )
    }
  }

  private async addFile(path: string, name: string): Promise<void> {
    const info = await stat(path).catch((e) => {
      throw ioError(e, path)
    })
    if (info.size > SECTOR_SIZE) throw tooLarge(path, info.size, 'stored in it', 'Leave the file out with --exclude.')
    const data = await readFile(path).catch((e) => {
      throw ioError(e, path)
    })
    const mtime = Math.floor(info.mtimeMs / 1000)
    this.result.files.push({ name, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mtime })
    const earlier = this.result.sources.get(name)
    if (earlier) {
      throw new FlashdataError('DUPLICATE_NAME', `"${earlier}" and "${path}" would both be stored as "${name}".`, {
        hint: 'Each stored name must be unique: rename one, or leave one out with --exclude.',
        details: { name, paths: [earlier, path] },
      })
    }
    this.result.sources.set(name, path)
  }
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
  if (collector.result.files.length === 0) {
    throw new FlashdataError(
      'INPUT_EMPTY',
      `No files to pack in ${inputs.map((i) => `"${i}"`).join(', ')}${collector.result.skipped.length ? ` (${collector.result.skipped.length} skipped)` : ''}.`,
      {
        hint: 'Put the files you want on the board in the folder.',
        details: { inputs },
      },
    )
  }
  return collector.result
}
