import type { JobEvent, Phase } from '../../jobs/events.js'
import type { JigRecord } from '../../jobs/events.js'
import { boardPlace, bytes, plural } from '../format.js'
import type { CliIo } from '../io.js'
import { boardDone, WAITING, type ProgressRenderer } from './progress.js'
import { fit, styleFor, type Style } from './style.js'

const ACTIVE: Record<Phase, string> = {
  connect: 'connecting',
  'mode-switch': 'switching to DFU mode',
  compare: 'comparing',
  erase: 'erasing',
  write: 'writing',
  verify: 'verifying',
  read: 'reading',
  leave: 'leaving DFU mode',
  reset: 'resetting',
  'wait-app': 'waiting for firmware',
}

/**
 * The jig on a terminal: a live area of the boards in progress, one line
 * each, and a summary line, redrawn in place; a finished board is printed
 * once above it as a permanent line, and so is every station message. The
 * live area stays as small as the boards in progress, however many boards
 * the station has seen.
 */
export class BoardLinesRenderer implements ProgressRenderer {
  /** Boards in progress: their place and state, in the order they arrived. */
  private readonly live = new Map<string, { place?: string; text: string }>()
  private readonly done: Record<'flashed' | 'unchanged' | 'failed', number> = { flashed: 0, unchanged: 0, failed: 0 }
  private drawn = 0
  private readonly style: Style

  constructor(private readonly io: CliIo) {
    this.style = styleFor(io.stderr, io.env)
  }

  event(event: JobEvent): void {
    if (event.type === 'board-done') this.finish(event.record)
    else if (event.type === 'message' && !event.serial)
      this.above(`${event.level === 'warning' ? 'warning: ' : ''}${event.message}`)
    else if (event.serial) {
      const board = this.live.get(event.serial) ?? { text: '' }
      if (event.type === 'board-attached') board.place = boardPlace(event.slot, event.port)
      const text = describe(event)
      if (text !== undefined) board.text = text
      this.live.set(event.serial, board)
    }
    this.draw()
  }

  private finish(record: JigRecord): void {
    const place = this.live.get(record.serial)?.place
    this.live.delete(record.serial)
    const ok = record.outcome === 'flashed' || record.outcome === 'unchanged'
    this.done[ok ? (record.outcome as 'flashed' | 'unchanged') : 'failed']++
    // What happened first, where last: a narrow terminal cuts the place, not the outcome.
    const line = `${record.serial}  ${boardDone(record)}${place ? ` (${place})` : ''}`
    this.above(line, ok ? this.style.tick : this.style.cross)
  }

  /** A permanent line above the live area (cut to the width like every screen line). */
  private above(text: string, mark?: string): void {
    this.clear()
    const width = this.width()
    this.io.stderr.write(mark ? `${mark} ${fit(text, width - 2)}\n` : `${fit(text, width)}\n`)
  }

  private width(): number {
    return (this.io.stderr.columns ?? 80) - 1
  }

  /**
   * From column 1 (a Ctrl-C the terminal echoed as "^C" left the cursor two
   * columns in, and the first line's start would stay), up to the live
   * area's first line, erased to the end of the screen, the echo too.
   */
  private clear(): void {
    this.io.stderr.write(`\r${this.drawn > 0 ? `\x1b[${this.drawn}A` : ''}\x1b[0J`)
    this.drawn = 0
  }

  private draw(): void {
    this.clear()
    const width = this.width()
    const lines = [...this.live].map(([serial, b]) =>
      fit(`${serial}  ${b.text}${b.place ? ` (${b.place})` : ''}`, width),
    )
    const { flashed, unchanged, failed } = this.done
    lines.push(
      this.style.dim(
        fit(
          `${plural(this.live.size, 'board')} in progress; done: ${flashed} flashed, ${unchanged} unchanged, ${failed} failed`,
          width,
        ),
      ),
    )
    this.io.stderr.write(`${lines.join('\n')}\n`)
    this.drawn = lines.length
  }

  /** The live area goes; the command prints its summary in its place. */
  close(): void {
    this.clear()
  }
}

function describe(event: JobEvent): string | undefined {
  switch (event.type) {
    case 'board-attached':
      return `attached (${event.mode === 'dfu' ? 'in DFU mode' : 'running firmware'})`
    case 'phase-start':
      return `${ACTIVE[event.phase]}...`
    case 'progress':
      return event.totalBytes
        ? `${ACTIVE[event.phase]} ${Math.round((100 * event.bytes) / event.totalBytes)}%`
        : `${ACTIVE[event.phase]} ${bytes(event.bytes)}`
    case 'phase-failed':
      return `${ACTIVE[event.phase]} failed (${event.code})`
    case 'board-waiting':
      return WAITING
    case 'message':
      return event.message
    default:
      return undefined
  }
}
