import type { JobEvent, Phase } from '../../jobs/events.js'
import type { JigRecord } from '../../jobs/events.js'
import { boardPlace, bytes, formatSpeed } from '../format.js'
import { printJson, type CliIo } from '../io.js'
import { fit, styleFor, type Style } from './style.js'

export type OutputMode = 'tty' | 'plain' | 'json' | 'quiet'

export interface ProgressRenderer {
  event(event: JobEvent): void
  /** The job stopped with a phase still under way (an interrupt): its line says so (a terminal's red ✖), before the error is printed. */
  fail?(): void
  close(): void
}

const LABELS: Record<Phase, [active: string, done: string]> = {
  connect: ['Looking for the board', 'Found'],
  'mode-switch': ['Switching to DFU mode', 'In DFU mode'],
  compare: ['Comparing with the board', 'Compared'],
  erase: ['Erasing', 'Erased'],
  write: ['Writing', 'Wrote'],
  verify: ['Verifying', 'Verified'],
  read: ['Reading', 'Read'],
  leave: ['Leaving DFU mode', 'Left DFU mode'],
  reset: ['Resetting the board', 'Reset'],
  'wait-app': ['Waiting for the firmware to start', 'Firmware running'],
}

/**
 * A terminal that reports no width (a pty of 0x0: some CI runners, `script`
 * without a terminal) cannot hold a redrawn line, so it gets plain lines.
 */
export function outputMode(io: CliIo, options: { json?: boolean; quiet?: boolean; plain?: boolean }): OutputMode {
  if (options.json) return 'json'
  if (options.quiet) return 'quiet'
  if (options.plain) return 'plain'
  return io.stderr.isTTY && (io.stderr.columns ?? 0) > 0 && !io.env.CI ? 'tty' : 'plain'
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

function endLine(event: Extract<JobEvent, { type: 'phase-end' }>): string {
  const [, done] = LABELS[event.phase]
  const seconds = `${(event.elapsedMs / 1000).toFixed(2)} s`
  const size = event.bytes ? `${bytes(event.bytes)}, ` : ''
  const speed = event.bytes && event.elapsedMs > 0 ? `, ${formatSpeed(event.bytes, event.elapsedMs)}` : ''
  return `${done}${event.detail ? `: ${event.detail}` : ''} (${size}${seconds}${speed})`
}

/** "Writing failed after 0.05 s (DFU_WRITE_FAILED)": a phase whose work threw. */
function failedLine(event: Extract<JobEvent, { type: 'phase-failed' }>): string {
  return `${LABELS[event.phase][0]} failed after ${seconds(event.elapsedMs)} (${event.code})`
}

/** A board seen while the station is paused. */
export const WAITING = 'waiting: the station is paused'

/** A finished board in words: "flashed in 2.50 s", "failed after 0.02 s during connect: ...". */
export function boardDone(r: JigRecord): string {
  const seconds = `${(r.durationMs / 1000).toFixed(2)} s`
  if (r.outcome === 'flashed' || r.outcome === 'unchanged') return `${r.outcome} in ${seconds}`
  return `${r.outcome} after ${seconds}${r.failedPhase ? ` during ${r.failedPhase}` : ''}: ${r.error?.message}`
}

const prefix = (event: JobEvent) => (event.serial ? `[${event.serial}] ` : '')

/** One line per finished phase and per message: for logs and pipes. Tagged with the serial when several boards run. */
class PlainRenderer implements ProgressRenderer {
  constructor(
    private readonly io: CliIo,
    private readonly tagged: boolean,
  ) {}

  event(event: JobEvent): void {
    const tag = this.tagged ? prefix(event) : ''
    if (event.type === 'phase-end') this.io.stderr.write(`${tag}${endLine(event)}\n`)
    else if (event.type === 'phase-failed') this.io.stderr.write(`${tag}${failedLine(event)}\n`)
    else if (event.type === 'board-waiting') this.io.stderr.write(`${tag}${WAITING}\n`)
    else if (event.type === 'message')
      this.io.stderr.write(`${tag}${event.level === 'warning' ? 'warning: ' : ''}${event.message}\n`)
    else if (event.type === 'board-attached') {
      const place = boardPlace(event.slot, event.port)
      this.io.stderr.write(
        `${tag}attached${place ? ` at ${place}` : ''} (${event.mode === 'dfu' ? 'in DFU mode' : 'running firmware'})\n`,
      )
    } else if (event.type === 'board-done') {
      const r = event.record
      this.io.stderr.write(`${tag}${boardDone(r)}\n`)
    }
  }

  close(): void {}
}

/** Every event as one JSON line (printJson: standard error when standard output carries data). */
class JsonRenderer implements ProgressRenderer {
  constructor(private readonly io: CliIo) {}

  event(event: JobEvent): void {
    printJson(this.io, { ...event, time: new Date().toISOString() })
  }

  close(): void {}
}

class QuietRenderer implements ProgressRenderer {
  event(): void {}
  close(): void {}
}

function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}

/** "Writing [#####-----] 45% 12.3/27.0 KiB, 20.1 KiB/s, 1.2 s left"; "Reading 12.3 KiB, 20.1 KiB/s" while the total is unknown. */
export function progressText(event: Extract<JobEvent, { type: 'progress' }>): string {
  const kib = (n: number) => (n / 1024).toFixed(1)
  const speed = event.elapsedMs > 0 ? `, ${formatSpeed(event.bytes, event.elapsedMs)}` : ''
  const total = event.totalBytes
  if (total === undefined) return `${LABELS[event.phase][0]} ${kib(event.bytes)} KiB${speed}`
  const fraction = total > 0 ? event.bytes / total : 1
  const left =
    event.bytes > 0 && event.elapsedMs > 0 ? ((total - event.bytes) * event.elapsedMs) / event.bytes : undefined
  return (
    `${LABELS[event.phase][0]} ${bar(fraction)} ${Math.floor(100 * fraction)}% ${kib(event.bytes)}/${kib(total)} KiB` +
    `${speed}${left === undefined ? '' : `, ${seconds(left)} left`}`
  )
}

/** "Erasing 0.4 s of about 1.0 s": phases that move no bytes but take a known time. */
export function waitingText(phase: Phase, elapsedMs: number, expectedMs: number): string {
  return `${LABELS[phase][0]} ${seconds(elapsedMs)} of about ${seconds(expectedMs)}`
}

/**
 * One job on a terminal: an ora spinner for the running phase (progress
 * with percent and time left, or elapsed against the expected time), a ✔
 * line per finished phase, a red ✖ line for the phase a failure stopped.
 * Every line is cut to the terminal's width.
 */
class TtyRenderer implements ProgressRenderer {
  private spinner?: import('ora').Ora
  private phase?: { phase: Phase; startedAt: number; ticker?: ReturnType<typeof setInterval> }
  private readonly style: Style

  constructor(
    private readonly io: CliIo,
    private readonly ora: typeof import('ora').default,
  ) {
    this.style = styleFor(io.stderr, io.env)
  }

  private fit(text: string): string {
    // The spinner and a space before the text, and the last column left free.
    return fit(text, (this.io.stderr.columns ?? 80) - 3)
  }

  event(event: JobEvent): void {
    if (event.type === 'phase-start') {
      this.endPhase()
      this.spinner = this.ora({
        text: this.fit(LABELS[event.phase][0]),
        stream: this.io.stderr,
        color: this.style.color ? 'cyan' : false,
        isEnabled: true,
      }).start()
      const started = {
        phase: event.phase,
        startedAt: Date.now(),
        ticker: undefined as ReturnType<typeof setInterval> | undefined,
      }
      const expectedMs = event.expectedMs
      if (expectedMs !== undefined) {
        const tick = () => {
          if (this.spinner)
            this.spinner.text = this.fit(waitingText(started.phase, Date.now() - started.startedAt, expectedMs))
        }
        tick()
        started.ticker = setInterval(tick, 200)
      }
      this.phase = started
    } else if (event.type === 'progress' && this.spinner) {
      this.spinner.text = this.fit(progressText(event))
    } else if (event.type === 'phase-failed') {
      this.spinner?.stopAndPersist({ symbol: this.style.cross, text: this.fit(failedLine(event)) })
      this.endPhase()
    } else if (event.type === 'phase-end') {
      const line = this.fit(endLine(event))
      this.spinner?.stopAndPersist({ symbol: this.style.tick, text: line })
      this.endPhase()
    } else if (event.type === 'message') {
      this.spinner?.clear()
      this.io.stderr.write(
        `${fit(`${event.level === 'warning' ? 'warning: ' : ''}${event.message}`, (this.io.stderr.columns ?? 80) - 1)}\n`,
      )
      this.spinner?.render()
    }
  }

  private endPhase(): void {
    if (this.phase?.ticker) clearInterval(this.phase.ticker)
    this.phase = undefined
    this.spinner = undefined
  }

  fail(): void {
    if (this.spinner && this.phase)
      this.spinner.stopAndPersist({
        symbol: this.style.cross,
        text: this.fit(`${LABELS[this.phase.phase][0]} failed after ${seconds(Date.now() - this.phase.startedAt)}`),
      })
    this.endPhase()
  }

  close(): void {
    this.spinner?.stop()
    this.endPhase()
  }
}

export async function createRenderer(
  mode: OutputMode,
  io: CliIo,
  options: { tagged?: boolean } = {},
): Promise<ProgressRenderer> {
  if (mode === 'json') return new JsonRenderer(io)
  if (mode === 'quiet') return new QuietRenderer()
  if (mode === 'plain') return new PlainRenderer(io, options.tagged ?? false)
  const { default: ora } = await import('ora')
  return new TtyRenderer(io, ora)
}
