import type { JobEvent, Phase } from '../../jobs/events.js'
import { boardPlace } from '../format.js'
import type { CliIo } from '../io.js'
import { boardDone, type ProgressRenderer } from './progress.js'

const ACTIVE: Record<Phase, string> = {
  connect: 'connecting', 'mode-switch': 'switching to DFU mode', compare: 'comparing', erase: 'erasing', write: 'writing',
  verify: 'verifying', read: 'reading', leave: 'leaving DFU mode', reset: 'resetting', 'wait-app': 'waiting for firmware',
}

/**
 * One status line per board, redrawn in place on a TTY, so boards flashed in
 * parallel each show their own progress.
 */
export class BoardLinesRenderer implements ProgressRenderer {
  private readonly lines = new Map<string, string>()
  /** Where each board sits (slot name or USB port path), shown on its line. */
  private readonly places = new Map<string, string>()
  private drawn = 0

  constructor(private readonly io: CliIo) {}

  event(event: JobEvent): void {
    if (event.type === 'message' && !event.serial) {
      this.clear()
      this.io.stderr.write(`${event.message}\n`)
      this.drawn = 0
    } else if (event.serial) {
      const place = event.type === 'board-attached' ? boardPlace(event.slot, event.port) : undefined
      if (place) this.places.set(event.serial, place)
      const text = this.describe(event)
      if (text === undefined) return
      this.lines.set(event.serial, text)
    }
    this.draw()
  }

  private describe(event: JobEvent): string | undefined {
    switch (event.type) {
      case 'board-attached': return `attached (${event.mode === 'dfu' ? 'in DFU mode' : 'running firmware'})`
      case 'phase-start': return `${ACTIVE[event.phase]}...`
      case 'progress': return `${ACTIVE[event.phase]} ${Math.round((100 * event.bytes) / event.totalBytes)}%`
      case 'board-done': return boardDone(event.record)
      case 'message': return event.message
      default: return undefined
    }
  }

  private clear(): void {
    if (this.drawn > 0) this.io.stderr.write(`\x1b[${this.drawn}A\x1b[0J`)
  }

  private draw(): void {
    this.clear()
    const width = (this.io.stderr as { columns?: number }).columns ?? 100
    for (const [serial, text] of this.lines) {
      const place = this.places.get(serial)
      this.io.stderr.write(`${`${serial}${place ? ` (${place})` : ''}  ${text}`.slice(0, width - 1)}\n`)
    }
    this.drawn = this.lines.size
  }

  close(): void {}
}
