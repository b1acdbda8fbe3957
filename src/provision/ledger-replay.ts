import type { LedgerEntry } from './ledger.js'

/** One line of the ledger file. */
export interface Line {
  op: 'reserve' | 'commit'
  row: number
  serial: string
  claim?: string
  station?: string
  at: string
}

/** A line that does not parse, has the wrong shape, or contradicts the lines before it. */
export interface Damage {
  /** 1-based line number in the file. */
  line: number
  reason: string
  text: string
}

/** A row's holder, with the line that reserved it. */
type Held = LedgerEntry & { claim?: string; line: number }

export interface State {
  bySerial: Map<string, Held>
  byRow: Map<number, Held>
  /** Damaged lines, in file order: any one of them refuses the ledger. */
  damaged: Damage[]
  /** The lines that count, as written: what a repair keeps. */
  kept: string[]
  /** The last line was cut short (a crash mid-append): ignored; the next append removes it from `offset`. */
  torn?: { line: number; text: string; offset: number }
  /** The file does not end with a newline after a whole last line: the next append starts a new line. */
  unterminated: boolean
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== ''

/** The line as a record, or why it is not one. */
function parseLine(raw: string, rows: number): Line | string {
  let line: unknown
  try {
    line = JSON.parse(raw)
  } catch {
    return 'it is not JSON'
  }
  if (typeof line !== 'object' || line === null || Array.isArray(line)) return 'it is not a JSON object'
  const { op, row, serial, claim, station, at } = line as Record<string, unknown>
  if (op !== 'reserve' && op !== 'commit') return `its "op" is ${JSON.stringify(op)}, not "reserve" or "commit"`
  if (!Number.isInteger(row)) return `its "row" ${JSON.stringify(row)} is not a whole number`
  if ((row as number) < 1 || (row as number) > rows) return `its row ${row} is not in the pool (rows 1 to ${rows})`
  if (!isText(serial)) return `its "serial" ${JSON.stringify(serial)} is not a serial number`
  if (typeof at !== 'string') return 'it has no "at" time'
  if ((claim !== undefined && !isText(claim)) || (station !== undefined && typeof station !== 'string'))
    return 'its "claim" or "station" is not text'
  return line as Line
}

/**
 * The ledger's meaning, from its lines in file order. Every line must be a
 * record of the right shape for a row of the pool, a row is reserved once and
 * a board holds one row, and a commit follows its own reservation: a line
 * that breaks this is damage, never skipped, because a lost reservation would
 * free a row that a board already holds. Only a last line cut short by a
 * crash mid-append (no newline after it, not a record) is set aside: its
 * append never returned, so no board was touched for it.
 */
export function replay(text: string, rows: number): State {
  const state: State = { bySerial: new Map(), byRow: new Map(), damaged: [], kept: [], unterminated: false }
  const lines = text.split('\n')
  const last = lines.length - 1 // the text after the last newline: '' when the file ends with one
  let offset = 0
  for (const [i, raw] of lines.entries()) {
    const at = offset
    offset += raw.length + 1
    if (i === last && raw === '') break
    const parsed = parseLine(raw, rows)
    if (typeof parsed === 'string' && i === last) {
      state.torn = { line: i + 1, text: raw, offset: Buffer.byteLength(text.slice(0, at)) }
      break
    }
    const reason = typeof parsed === 'string' ? parsed : conflict(state, parsed)
    if (reason) {
      state.damaged.push({ line: i + 1, reason, text: raw })
      continue
    }
    const line = parsed as Line
    if (line.op === 'reserve' && !state.byRow.has(line.row)) {
      const entry = { row: line.row, serial: line.serial, state: 'reserved' as const, claim: line.claim, line: i + 1 }
      state.byRow.set(line.row, entry)
      state.bySerial.set(line.serial, entry)
    } else if (line.op === 'commit') state.byRow.get(line.row)!.state = 'committed'
    state.kept.push(raw)
    if (i === last) state.unterminated = true
  }
  return state
}

/** Why a well-formed line contradicts the lines before it, if it does. */
function conflict(state: State, line: Line): string | undefined {
  const holder = state.byRow.get(line.row)
  if (line.op === 'commit') {
    if (!holder) return `it commits row ${line.row}, which no line before it reserves`
    if (holder.serial !== line.serial)
      return `it commits row ${line.row} for ${line.serial}, but line ${holder.line} gave that row to ${holder.serial}`
    return undefined
  }
  if (holder && holder.serial !== line.serial)
    return `it reserves row ${line.row} for ${line.serial}, but line ${holder.line} gave that row to ${holder.serial}`
  const held = state.bySerial.get(line.serial)
  if (held && held.row !== line.row)
    return `it reserves row ${line.row} for ${line.serial}, which line ${held.line} gave row ${held.row}`
  return undefined
}
