import { resolve } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import type { StationSettings } from '../provision/setting-rules.js'
import { isPostgresUrl } from '../provision/ledger-url.js'
import { FlashdataError } from '../errors.js'
import { GENERATE_MS } from '../timeouts.js'
import { fromCommandLine, settingProblem, type JobKey } from '../provision/setting-rules.js'
import type { LedgerOptions } from '../provision/station.js'
import { printJson, type CliIo } from './io.js'

/** Per-board data options, shared by push (one board at a desk) and jig: the same names as in a job file. */
export type ProvisionCliOptions = Pick<
  StationSettings,
  | 'perBoard'
  | 'perBoardOptional'
  | 'pool'
  | 'ledger'
  | 'generate'
  | 'generateTimeout'
  | 'generateKeepOutput'
  | 'backupDir'
> & {
  /** Never in a job file: a repair is asked for each time. */
  repairLedger?: boolean
}

/** An option checked by the same rule as the job file's key of that name (settingProblem). */
export function parseSetting(key: JobKey) {
  return (value: string): string | number => {
    const parsed = fromCommandLine(key, value)
    const problem = settingProblem(key, parsed)
    if (problem)
      throw new InvalidArgumentError(`expected ${problem}${value === '' ? ' (is a shell variable unset?)' : ''}.`)
    return parsed
  }
}

export function addProvisionOptions(command: Command): Command {
  return command
    .option(
      '--per-board <dir>',
      "add the files in <dir>/<serial>/ to the board's image (same names replace common files)",
      parseSetting('perBoard'),
    )
    .option('--per-board-optional', 'a board without a per-board folder gets the common files instead of failing')
    .option(
      '--pool <table.csv>',
      'hand each board one row of files from this table (header: stored names, optional "serial" column)',
      parseSetting('pool'),
    )
    .option(
      '--ledger <file|postgres://...>',
      "where the pool's rows are recorded (default: <pool>.ledger.ndjson beside the pool)",
      parseSetting('ledger'),
    )
    .option(
      '--generate <command>',
      'run this shell command per board (FLASHDATA_SERIAL, FLASHDATA_OUT) and add the files it writes',
      parseSetting('generate'),
    )
    .option(
      '--generate-timeout <seconds>',
      `how long the generator may run per board (default ${GENERATE_MS / 1000})`,
      parseSetting('generateTimeout'),
    )
    .option(
      '--generate-keep-output',
      "keep the generator's output (its last 4 KiB) in each record; by default none is kept, as it may hold keys",
    )
    .option(
      '--repair-ledger',
      "remove a ledger file's damaged lines (listed, the file kept in a copy) instead of refusing to start",
    )
    .option(
      '--backup-dir <dir>',
      'where foreign sector contents are saved before they are overwritten (default: the current folder)',
      parseSetting('backupDir'),
    )
}

/** The command line's per-board settings, paths made absolute (so a job file's own paths are not mixed up with them). */
export function provisionSettings(options: ProvisionCliOptions): StationSettings {
  const abs = (path: string | undefined) => (path === undefined ? undefined : resolve(path))
  return {
    perBoard: abs(options.perBoard),
    perBoardOptional: options.perBoardOptional,
    pool: abs(options.pool),
    ledger: options.ledger === undefined || isPostgresUrl(options.ledger) ? options.ledger : resolve(options.ledger),
    generate: options.generate,
    generateTimeout: options.generateTimeout,
    generateKeepOutput: options.generateKeepOutput,
    backupDir: abs(options.backupDir),
  }
}

/**
 * How the ledger is opened: repaired when asked, and its notices (what a
 * repair did, a torn last line set aside) printed as they come, through `say`
 * when given (the jig's renderer), else as a message line with --json or on
 * standard error.
 */
export function ledgerOptions(
  io: CliIo,
  options: ProvisionCliOptions & { json?: boolean },
  settings: StationSettings,
  say?: (message: string) => boolean,
): LedgerOptions {
  if (options.repairLedger && !settings.pool)
    throw new FlashdataError('BAD_OPTION', '--repair-ledger needs a pool (--pool): the ledger records its rows.')
  return {
    repair: options.repairLedger,
    onNotice: (message) => {
      if (say?.(message)) return
      if (options.json) printJson(io, { type: 'message', level: 'warning', message, time: new Date().toISOString() })
      else io.stderr.write(`${message}\n`)
    },
  }
}
