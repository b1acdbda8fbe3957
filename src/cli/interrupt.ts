import { ExitCode, FlashdataError } from '../errors.js'
import type { JobEvent, Phase } from '../jobs/events.js'

/** What stopping in a phase means for the board's data sector. */
function leftBehind(phase: Phase | undefined): string {
  if (phase === 'erase' || phase === 'write')
    return 'the data sector may hold a half-written image: push again to write it whole'
  if (phase === 'verify' || phase === 'leave') return 'the image was written; flashdata verify checks it'
  return 'nothing had been erased or written'
}

/**
 * Ctrl-C (SIGINT) or SIGTERM while a command uses a board: `interrupted`
 * rejects with an INTERRUPTED error that names the phase the command was in
 * (`track` sees its events), so the command ends through the usual error path:
 * exit 130 and, with --json, the error line as the last line. A second signal
 * ends the process at once.
 */
export function watchInterrupts() {
  let phase: Phase | undefined
  let fired = false
  let reject: (error: FlashdataError) => void = () => {}
  const interrupted = new Promise<never>((_, no) => {
    reject = no
  })
  interrupted.catch(() => {}) // handled by whoever races it; never an unhandled rejection
  const onSignal = (signal: NodeJS.Signals) => {
    if (fired) process.exit(ExitCode.INTERRUPTED)
    fired = true
    reject(
      new FlashdataError(
        'INTERRUPTED',
        `Interrupted by ${signal}${phase ? ` during ${phase}` : ''}: ${leftBehind(phase)}.`,
        { details: { signal, ...(phase ? { phase } : {}) } },
      ),
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    interrupted,
    /** Whether a signal came: events after it are dropped, so that the error stays the last line. */
    get fired() {
      return fired
    },
    track(event: JobEvent): void {
      if (event.type === 'phase-start') phase = event.phase
      else if ((event.type === 'phase-end' || event.type === 'phase-failed') && event.phase === phase) phase = undefined
    },
    dispose(): void {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
