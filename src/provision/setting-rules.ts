export const FOREIGN_POLICIES = ['fail', 'backup-and-overwrite'] as const

export type ForeignPolicy = (typeof FOREIGN_POLICIES)[number]

/** Everything a station runs with, from a job file and/or the command line. Paths are absolute once resolved. */
export interface StationSettings {
  station?: string
  folder?: string
  perBoard?: string
  perBoardOptional?: boolean
  pool?: string
  /** A file, or a postgres:// URL. */
  ledger?: string
  generate?: string
  /** Seconds. */
  generateTimeout?: number
  /** Keep the generator's output in the records (by default they keep none: it may hold keys). */
  generateKeepOutput?: boolean
  log?: string
  junit?: string
  csv?: string
  count?: number
  /** Seconds without a board before the station stops. */
  timeout?: number
  /** A JSON file mapping port paths to slot names, or the map itself (in a job file). */
  slots?: string | Record<string, string>
  foreign?: ForeignPolicy
  backupDir?: string
  /** --nul-terminate's patterns: files stored with a NUL after their data (PEM for mbedTLS). */
  nulTerminate?: string[]
  /** Where the generator runs: the job file's folder. */
  cwd?: string
}

/** The settings a job file may hold; the command line's options of the same names obey the same rules. */
export type JobKey = Exclude<keyof StationSettings, 'cwd'>

type Rule =
  | { kind: 'text' }
  | { kind: 'whole'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'slots' }
  | { kind: 'texts' }

const text: Rule = { kind: 'text' }

export const RULES: Record<JobKey, Rule> = {
  station: text,
  folder: text,
  perBoard: text,
  perBoardOptional: { kind: 'boolean' },
  pool: text,
  ledger: text,
  generate: text,
  generateTimeout: { kind: 'whole', min: 1, max: 3600 },
  generateKeepOutput: { kind: 'boolean' },
  log: text,
  junit: text,
  csv: text,
  count: { kind: 'whole', min: 1, max: 1_000_000 },
  timeout: { kind: 'whole', min: 1, max: 86_400 },
  slots: { kind: 'slots' },
  foreign: { kind: 'choice', choices: FOREIGN_POLICIES },
  backupDir: text,
  nulTerminate: { kind: 'texts' },
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== ''

/**
 * What a setting must be, when `value` is not that; undefined when it is. The
 * one check for a job file's values and the command line's options: an empty
 * name, a count of 0 or a timeout of -5 is refused from either, before anything runs.
 */
export function settingProblem(key: JobKey, value: unknown): string | undefined {
  const rule = RULES[key]
  switch (rule.kind) {
    case 'text':
      return isText(value) ? undefined : 'text that is not empty'
    case 'whole':
      return Number.isInteger(value) && (value as number) >= rule.min && (value as number) <= rule.max
        ? undefined
        : `a whole number from ${rule.min} to ${rule.max}`
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false'
    case 'choice':
      return rule.choices.includes(value as string) ? undefined : `one of ${rule.choices.join(', ')}`
    case 'slots':
      return isText(value) ||
        (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every(isText))
        ? undefined
        : 'a file name, or an object of port paths to slot names'
    case 'texts':
      return Array.isArray(value) && value.every(isText) ? undefined : 'a list of patterns that are not empty'
  }
}

/** A command-line value as the setting's type: digits become a number for a whole-number setting. */
export function fromCommandLine(key: JobKey, value: string): string | number {
  return RULES[key].kind === 'whole' && /^\d+$/.test(value) ? Number(value) : value
}
