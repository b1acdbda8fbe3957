import { readFile, stat } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { FlashdataError } from '../errors.js'
import { normalizeSerial } from '../device/board.js'
import { parseCsv } from './csv.js'

export interface PoolRow {
  /** 1-based data row number (the header is row 0): what the ledger and the records name. */
  row: number
  /** A board this row is pinned to. */
  serial?: string
  /** Stored name in the image -> the file holding that content. */
  files: { name: string; path: string }[]
}

export interface Pool {
  path: string
  /** The stored names the table provides. */
  columns: string[]
  rows: PoolRow[]
  /** Row pinned to each serial. */
  pinned: Map<string, PoolRow>
}

function invalid(path: string, message: string): FlashdataError {
  return new FlashdataError('POOL_INVALID', `The pool "${path}": ${message}`, {
    details: { path },
  })
}

/** Reads a pool table and checks that every file it names exists, before any board is touched. */
export async function loadPool(path: string): Promise<Pool> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new FlashdataError('INPUT_NOT_FOUND', `Cannot read the pool "${path}": ${error.message}`, {
      details: { path },
    })
  })
  const [header, ...data] = parseCsv(text)
  if (!header || header.every((h) => h.trim() === '')) throw invalid(path, 'it has no header line.')
  const names = header.map((h) => h.trim())
  const serialAt = names.indexOf('serial')
  const columns = names.filter((_, i) => i !== serialAt)
  if (columns.length === 0 || columns.some((c) => c === ''))
    throw invalid(path, 'the header must name at least one file, and no column may be empty.')
  if (new Set(columns).size !== columns.length) throw invalid(path, 'two columns name the same file.')
  const base = dirname(path)
  const pinned = new Map<string, PoolRow>()
  const rows = data.map((cells, i): PoolRow => {
    const row = i + 1
    if (cells.length !== names.length)
      throw invalid(path, `row ${row} has ${cells.length} fields, the header ${names.length}.`)
    const serial = serialAt === -1 ? '' : normalizeSerial(cells[serialAt].trim())
    const files = names.flatMap((name, c) =>
      c === serialAt ? [] : [{ name, path: isAbsolute(cells[c]) ? cells[c] : resolve(base, cells[c]) }],
    )
    if (files.some((f) => f.path === resolve(base, ''))) throw invalid(path, `row ${row} has an empty file path.`)
    const entry: PoolRow = { row, serial: serial || undefined, files }
    if (entry.serial) {
      if (pinned.has(entry.serial))
        throw invalid(path, `rows ${pinned.get(entry.serial)!.row} and ${row} are both pinned to ${entry.serial}.`)
      pinned.set(entry.serial, entry)
    }
    return entry
  })
  for (const row of rows) {
    for (const file of row.files) {
      if (!(await stat(file.path).catch(() => undefined))?.isFile())
        throw invalid(path, `row ${row.row} names "${file.path}" for ${file.name}, which is not a file.`)
    }
  }
  return { path, columns, rows, pinned }
}
