import { exitCodeOf, FlashdataError } from '../../errors.js'
import type { JigRecord } from '../../jobs/events.js'
import { lastAttempts, type JigSummary } from '../../jobs/jig/summary.js'
import { boardPlace, plural } from '../format.js'
import { printResult, type CliIo } from '../io.js'
import { packNotesJson, type PackNotes } from '../options.js'
import type { OutputMode } from '../render/progress.js'

/** Why the station stopped, in words (the JSON keeps stoppedBy's codes). */
const STOPPED: Record<JigSummary['stoppedBy'], string> = {
  count: 'the --count of boards is done',
  timeout: 'no board arrived within --timeout',
  signal: 'by the operator: Ctrl-C or Stop on the station page',
  'pool-exhausted': 'the pool is exhausted',
  abort: 'aborted',
}

/** `failed`: the boards whose last attempt failed. */
function summaryText(s: Omit<JigSummary, 'records'>, failed: JigRecord[]): string {
  const retries = s.attempts > s.boards ? ` (${plural(s.attempts, 'attempt')})` : ''
  return (
    `Station stopped (${STOPPED[s.stoppedBy]}): ${plural(s.boards, 'board')}${retries}, ${s.flashed} flashed, ${s.unchanged} unchanged, ${s.failed} failed; ${(s.averageMs / 1000).toFixed(2)} s per board on average.\n` +
    failed
      .map(
        (r) =>
          `  ✖ ${r.serial}${boardPlace(r.slot, r.port) ? ` (${boardPlace(r.slot, r.port)})` : ''} ${r.outcome === 'aborted' ? 'aborted' : 'failed'}${r.failedPhase ? ` during ${r.failedPhase}` : ''}: ${r.error?.message}\n`,
      )
      .join('')
  )
}

/** The hard stop's error: which boards were left incomplete, each in its phase. */
function abortError(records: JigRecord[], totals: Omit<JigSummary, 'records'>): FlashdataError {
  const left = records.filter((r) => r.outcome === 'aborted')
  const which = left.length
    ? `${plural(left.length, 'board')} left incomplete: ${left.map((r) => `${r.serial} (during ${r.failedPhase})`).join(', ')}`
    : 'no board was in progress'
  return new FlashdataError('INTERRUPTED', `Aborted (a second Ctrl-C, or SIGTERM); ${which}.`, {
    details: { aborted: left.map((r) => ({ serial: r.serial, phase: r.failedPhase })), summary: totals },
  })
}

/**
 * The station's result: a JSON result line, or the summary in words (with -q
 * only when a board failed). The hard stop ends with its error line instead
 * (the totals in its details). Sets the exit code.
 */
export function printJigResult(io: CliIo, mode: OutputMode, summary: JigSummary, notes: PackNotes | undefined): void {
  const { records, ...totals } = summary
  if (mode === 'json' && summary.stoppedBy !== 'abort') printResult(io, 'jig', { ...totals, ...packNotesJson(notes) })
  else if (mode !== 'json' && (mode !== 'quiet' || summary.failed > 0))
    io.stdout.write(
      summaryText(
        totals,
        lastAttempts(records).filter((r) => r.outcome === 'failed' || r.outcome === 'aborted'),
      ),
    )
  if (summary.stoppedBy === 'abort') throw abortError(records, totals)
  // The pool running out is said whatever else happened: a board was left without its data.
  if (summary.stoppedBy === 'pool-exhausted') io.exitCode = exitCodeOf('POOL_EXHAUSTED')
  else if (summary.failed > 0) io.exitCode = exitCodeOf('JIG_FAILURES')
}
