import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { FlashdataError } from '../errors.js'
import { isPostgresUrl } from './ledger-url.js'
import { RULES, settingProblem, type JobKey, type StationSettings } from './setting-rules.js'

export interface Job {
  settings: StationSettings
  path: string
  sha256: string
}

const PATHS = ['folder', 'perBoard', 'pool', 'log', 'junit', 'csv', 'backupDir'] as const

function invalid(path: string, message: string): FlashdataError {
  return new FlashdataError('JOB_INVALID', `The job file "${path}": ${message}`, {
    details: { path },
  })
}

/** Reads a job file: every path in it is relative to the file; its SHA-256 goes into every record. */
export async function loadJob(path: string): Promise<Job> {
  const bytes = await readFile(path).catch((error: Error) => {
    throw new FlashdataError('INPUT_NOT_FOUND', `Cannot read the job file "${path}": ${error.message}`, {
      details: { path },
    })
  })
  let raw: unknown
  try {
    raw = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    throw invalid(path, `it is not JSON (${(error as Error).message}).`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(path, 'it must be one JSON object.')
  const settings: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (!Object.hasOwn(RULES, key))
      throw invalid(path, `unknown key "${key}" (known: ${Object.keys(RULES).join(', ')}).`)
    const problem = settingProblem(key as JobKey, value)
    if (problem) throw invalid(path, `"${key}" must be ${problem} (it is ${JSON.stringify(value)}).`)
    settings[key] = value
  }
  const base = dirname(resolve(path))
  for (const key of PATHS) if (typeof settings[key] === 'string') settings[key] = resolve(base, settings[key] as string)
  if (typeof settings.slots === 'string') settings.slots = resolve(base, settings.slots)
  if (typeof settings.ledger === 'string' && !isPostgresUrl(settings.ledger))
    settings.ledger = resolve(base, settings.ledger)
  settings.cwd = base
  return { settings: settings as StationSettings, path, sha256: createHash('sha256').update(bytes).digest('hex') }
}

/** Job settings overridden by those given on the command line (undefined ones do not override). */
export function mergeSettings(job: StationSettings | undefined, cli: StationSettings): StationSettings {
  const merged: StationSettings = { ...job }
  for (const [key, value] of Object.entries(cli))
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value
  return merged
}

/** The station refuses to start if something it names is missing: nothing is touched first. */
export async function checkSettings(s: StationSettings, source: string): Promise<void> {
  const need = async (path: string | undefined, what: string, kind: 'file' | 'dir') => {
    if (path === undefined) return
    const info = await stat(path).catch(() => undefined)
    if (kind === 'file' ? !info?.isFile() : !info?.isDirectory()) {
      throw new FlashdataError(
        'INPUT_NOT_FOUND',
        `${what} "${path}" (${source}) ${info ? `is not a ${kind === 'file' ? 'file' : 'folder'}` : 'does not exist'}.`,
        {
          details: { path, what: 'job' },
        },
      )
    }
  }
  await need(s.perBoard, 'The per-board folder', 'dir')
  await need(s.pool, 'The pool', 'file')
  if (typeof s.slots === 'string') await need(s.slots, 'The slots file', 'file')
  for (const [path, what] of [
    [s.log, 'The log'],
    [s.junit, 'The JUnit report'],
    [s.csv, 'The CSV report'],
  ] as const)
    if (path) await need(dirname(path), `The folder of ${what.toLowerCase()}`, 'dir')
  if (s.ledger && !isPostgresUrl(s.ledger)) await need(dirname(s.ledger), 'The folder of the ledger', 'dir')
  if ((s.ledger || s.pool) && !s.pool) throw new FlashdataError('BAD_OPTION', 'A ledger needs a pool (--pool).')
}

export async function loadSlots(slots: StationSettings['slots']): Promise<Record<string, string> | undefined> {
  if (slots === undefined || typeof slots === 'object') return slots
  const text = await readFile(slots, 'utf8')
  try {
    const map = JSON.parse(text) as unknown
    if (
      typeof map !== 'object' ||
      map === null ||
      Array.isArray(map) ||
      !Object.values(map).every((v) => typeof v === 'string')
    )
      throw new Error('not an object of strings')
    return map as Record<string, string>
  } catch (error) {
    throw new FlashdataError(
      'JOB_INVALID',
      `The slots file "${slots}" must be a JSON object of port paths to slot names, such as {"1-1.2": "A"} (${(error as Error).message}).`,
      { details: { path: slots } },
    )
  }
}
