import { writeFileAtomic } from '../files/write.js'
import type { JigRecord } from '../jobs/events.js'
import { lastAttempts } from '../jobs/jig/summary.js'
import { formatCsv } from './csv.js'
import { hex32 } from '../text.js'

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 cannot carry
const NOT_IN_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g

function xml(text: unknown): string {
  // Characters XML 1.0 cannot carry at all are dropped; the rest escaped.
  return String(text ?? '')
    .replace(NOT_IN_XML, '')
    .replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function where(r: JigRecord): string {
  return [
    r.slot && `slot ${r.slot}`,
    r.port && `port ${r.port}`,
    r.provision?.pool && `pool row ${r.provision.pool.row}`,
    r.provision?.overlay && `overlay ${r.provision.overlay.folder}`,
    r.foreign?.backup && `backup ${r.foreign.backup}`,
  ]
    .filter(Boolean)
    .join(', ')
}

/** JUnit XML: one test case per board (name = serial), a failure with the error's code, message and hint. */
export function junitXml(records: JigRecord[], station = 'flashdata jig'): string {
  const boards = lastAttempts(records)
  const failures = boards.filter((r) => r.outcome === 'failed').length
  const seconds = (ms: number) => (ms / 1000).toFixed(3)
  const total = boards.reduce((sum, r) => sum + r.durationMs, 0)
  const cases = boards.map((r) => {
    const head = `    <testcase name="${xml(r.serial)}" classname="${xml(station)}" time="${seconds(r.durationMs)}" timestamp="${xml(r.startedAt)}">`
    const failure = r.error
      ? `\n      <failure type="${xml(r.error.code)}" message="${xml(r.error.message)}">${xml(`${r.error.code}: ${r.error.message}${r.error.hint ? `\n${r.error.hint}` : ''}`)}</failure>`
      : ''
    const out = `\n      <system-out>${xml(`${r.outcome}${where(r) ? `; ${where(r)}` : ''}`)}</system-out>`
    return `${head}${failure}${out}\n    </testcase>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="${boards.length}" failures="${failures}" time="${seconds(total)}">\n  <testsuite name="${xml(station)}" tests="${boards.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(total)}">\n${cases.join('\n')}${cases.length ? '\n' : ''}  </testsuite>\n</testsuites>\n`
}

const CSV_COLUMNS = [
  'serial',
  'outcome',
  'slot',
  'port',
  'poolRow',
  'overlay',
  'imageSize',
  'imageCrc',
  'imageSha256',
  'startedAt',
  'durationMs',
  'errorCode',
  'errorMessage',
  'backup',
  'station',
] as const

/** The same as a CSV summary, one line per board. */
export function summaryCsv(records: JigRecord[]): string {
  const rows = lastAttempts(records).map((r) => [
    r.serial,
    r.outcome,
    r.slot,
    r.port,
    r.provision?.pool?.row,
    r.provision?.overlay?.folder,
    r.imageSize,
    r.imageCrc === undefined ? undefined : hex32(r.imageCrc),
    r.imageSha256,
    r.startedAt,
    r.durationMs,
    r.error?.code,
    r.error?.message,
    r.foreign?.backup,
    r.station,
  ])
  return formatCsv([[...CSV_COLUMNS], ...rows])
}

/** Rewrites the station's report files after each board, atomically, so a reader never sees half a file. */
export class Reports {
  private readonly records: JigRecord[] = []
  private writing: Promise<void> = Promise.resolve()

  constructor(
    private readonly paths: { junit?: string; csv?: string },
    private readonly station?: string,
  ) {}

  async add(record: JigRecord): Promise<void> {
    this.records.push(record)
    await this.flush()
  }

  /**
   * One rewrite after another, each of every record so far: boards finishing
   * together must not race, or an older rewrite could land last.
   */
  flush(): Promise<void> {
    const next = this.writing.catch(() => {}).then(() => this.write())
    this.writing = next
    return next
  }

  private async write(): Promise<void> {
    const utf8 = new TextEncoder()
    if (this.paths.junit) await writeFileAtomic(this.paths.junit, utf8.encode(junitXml(this.records, this.station)))
    if (this.paths.csv) await writeFileAtomic(this.paths.csv, utf8.encode(summaryCsv(this.records)))
  }
}
