import type { JobEvent, Phase } from '../../jobs/events.js'
import type { JigRecord } from '../../jobs/jig.js'
import { boardPlace, formatBytes, formatSpeed } from '../format.js'
import { printJson, type CliIo } from '../io.js'

export type OutputMode = 'tty' | 'plain' | 'json' | 'quiet'

export interface ProgressRenderer {
  event(event: JobEvent): void
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
export function outputMode(io: CliIo, options: { json?: boolean; quiet?: boolean }): OutputMode {
  if (options.json) return 'json'
  if (options.quiet) return 'quiet'
  return io.stderr.isTTY && (io.stderr.columns ?? 0) > 0 && !io.env.CI ? 'tty' : 'plain'
}

function endLine(event: Extract<JobEvent, { type: 'phase-end' }>): string {
  const [, done] = LABELS[event.phase]
  const parts = [event.detail ?? (event.skipped ? 'skipped' : '')]
  const seconds = `${(event.elapsedMs / 1000).toFixed(2)} s`
  const size = event.bytes ? `${formatBytes(event.bytes)} bytes, ` : ''
  const speed = event.bytes && event.elapsedMs > 0 ? `, ${formatSpeed(event.bytes, event.elapsedMs)}` : ''
  return `${done}${parts[0] ? `: ${parts[0]}` : ''} (${size}${seconds}${speed})`
}

/** A finished board in words: "flashed in 2.50 s", "failed after 0.02 s during connect: ...". */
export function boardDone(r: JigRecord): string {
  const seconds = `${(r.durationMs / 1000).toFixed(2)} s`
  if (r.outcome === 'flashed' || r.outcome === 'unchanged') return `${r.outcome} in ${seconds}`
  return `${r.outcome} after ${seconds}${r.failedPhase ? ` during ${r.failedPhase}` : ''}: ${r.error?.message}`
}

const prefix = (event: JobEvent) => (event.serial ? `[${event.serial}] ` : '')

/** One line per finished phase and per message: for logs and pipes. Tagged with the serial when several boards run. */
class PlainRenderer implements ProgressRenderer {
  constructor(private readonly io: CliIo, private readonly tagged: boolean) {}

  event(event: JobEvent): void {
    const tag = this.tagged ? prefix(event) : ''
    if (event.type === 'phase-end') this.io.stderr.write(`${tag}${endLine(event)}\n`)
    else if (event.type === 'message') this.io.stderr.write(`${tag}${event.level === 'warning' ? 'warning: ' : ''}${event.message}\n`)
    else if (event.type === 'board-attached') {
      const place = boardPlace(event.slot, event.port)
      this.io.stderr.write(`${tag}attached${place ? ` at ${place}` : ''} (${event.mode === 'dfu' ? 'in DFU mode' : 'running firmware'})\n`)
    }
    else if (event.type === 'board-done') {
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

/** A spinner with a progress bar and speed for the running phase, a tick per finished phase. */
class TtyRenderer implements ProgressRenderer {
  private spinner?: import('ora').Ora

  constructor(private readonly io: CliIo, private readonly ora: typeof import('ora').default) {}

  event(event: JobEvent): void {
    if (event.type === 'phase-start') {
      this.spinner = this.ora({ text: LABELS[event.phase][0], stream: this.io.stderr }).start()
    } else if (event.type === 'progress' && this.spinner) {
      const kib = (n: number) => (n / 1024).toFixed(1)
      this.spinner.text = `${LABELS[event.phase][0]} ${bar(event.bytes / event.totalBytes)} ${kib(event.bytes)}/${kib(event.totalBytes)} KiB  ${formatSpeed(event.bytes, event.elapsedMs)}`
    } else if (event.type === 'phase-end') {
      const line = endLine(event)
      if (this.spinner) event.skipped ? this.spinner.info(line) : this.spinner.succeed(line)
      this.spinner = undefined
    } else if (event.type === 'message') {
      this.spinner?.clear()
      this.io.stderr.write(`${event.level === 'warning' ? 'warning: ' : ''}${event.message}\n`)
      this.spinner?.render()
    }
  }

  close(): void {
    this.spinner?.stop()
  }
}

export async function createRenderer(mode: OutputMode, io: CliIo, options: { tagged?: boolean } = {}): Promise<ProgressRenderer> {
  if (mode === 'json') return new JsonRenderer(io)
  if (mode === 'quiet') return new QuietRenderer()
  if (mode === 'plain') return new PlainRenderer(io, options.tagged ?? false)
  const { default: ora } = await import('ora')
  return new TtyRenderer(io, ora)
}
