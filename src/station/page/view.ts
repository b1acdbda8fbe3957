/** Rendering of the station's state: tiles, the boards list, totals, failures, the job. */
import { bytes, formatBytes, hex32 } from '../../text.js'
import { byId, element } from '../../ui/dom.js'
import { hintedText } from '../../ui/error-text.js'
import { stationHint } from './hints.js'
import { outcomeBadge } from '../../ui/outcome.js'
import { PHASES, setProgress } from '../../ui/progress.js'
import { pace, sourcesText, totals, type BoardView, type StationState } from '../state.js'

const CONTROL_WORDS: Record<StationState['control'], string> = {
  running: 'Running: taking every board that arrives',
  paused: 'Paused: no new board is taken; boards in progress finish',
  stopping: 'Stopping: finishing the boards in progress',
  stopped: 'Stopped',
}

/** Why the station stopped, in words. */
const STOPPED_WORDS: Record<NonNullable<StationState['stoppedBy']>, string> = {
  count: 'the count of boards is done',
  timeout: 'no board arrived within the timeout',
  signal: 'by the operator (Stop or Ctrl-C)',
  'pool-exhausted': 'the pool is exhausted',
  abort: 'aborted, the boards in progress left incomplete',
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** What a board is doing or how it ended, in words. */
function doing(board: BoardView): string {
  if (board.record) return board.record.outcome
  if (board.waiting) return 'waiting (paused)'
  if (board.phase) return PHASES[board.phase]
  return 'attached'
}

function place(board: BoardView): string | undefined {
  return board.slot ? `slot ${board.slot}` : board.port ? `port ${board.port}` : undefined
}

function tile(title: string, board: BoardView | undefined): HTMLElement {
  const state = !board ? 'free' : board.record ? board.record.outcome : board.waiting ? 'waiting' : 'busy'
  const el = element('article', undefined, {
    class: `tile ${state}`,
    'aria-label': `${title}: ${board ? doing(board) : 'free'}`,
  })
  const head = element('h3', title)
  if (board?.record) head.append(outcomeBadge(board.record.outcome))
  el.append(head)
  if (!board) {
    el.append(element('p', 'free', { class: 'note' }))
    return el
  }
  if (board.slot || title !== board.serial) el.append(element('div', board.serial, { class: 'serial' }))
  const r = board.record
  if (r) {
    const what =
      r.outcome === 'failed' || r.outcome === 'aborted'
        ? `${r.outcome} after ${seconds(r.durationMs)}${r.failedPhase ? ` during ${r.failedPhase}` : ''}`
        : `${r.outcome} in ${seconds(r.durationMs)}`
    const attempt = board.attempts > 1 ? `, attempt ${board.attempts}` : ''
    el.append(element('p', `${what}${attempt}`, { class: 'phase' }))
    if (r.error) {
      const text = hintedText(r.error.message, stationHint(r.error.code))
      el.append(element('p', text, { class: 'note error-text', title: text }))
    }
    const sources = sourcesText(r.provision)
    if (sources) el.append(element('p', sources, { class: 'note' }))
  } else if (board.waiting) {
    el.append(element('p', 'Waiting: the station is paused', { class: 'phase' }))
  } else {
    const bar = element('progress', undefined, {
      max: '1',
      value: '0',
      'aria-label': `Progress of ${board.serial}`,
    }) as HTMLProgressElement
    const label = element(
      'p',
      `attached, ${board.mode === 'dfu' ? 'in DFU mode' : 'running firmware'}${board.platform && board.platform !== 'electron' ? ` (${board.platform})` : ''}`,
      { class: 'phase' },
    )
    if (board.phase)
      setProgress(bar, label, {
        phase: board.phase,
        bytes: board.bytes,
        totalBytes: board.totalBytes,
        elapsedMs: board.elapsedMs,
      })
    el.append(label, bar)
  }
  return el
}

/** A tile per slot (each with the last board seen there) when the station names its slots, else a tile per board. */
function tiles(state: StationState): HTMLElement[] {
  const slots = Object.values(state.job.slots ?? {})
  if (!slots.length) return state.boards.map((b) => tile(b.serial, b))
  const latest = new Map<string, BoardView>()
  for (const b of state.boards) if (b.slot && (!latest.has(b.slot) || b.attempts > 0)) latest.set(b.slot, b)
  const unslotted = state.boards.filter((b) => !b.slot)
  return [
    ...[...new Set(slots)].map((slot) => tile(`Slot ${slot}`, latest.get(slot))),
    ...unslotted.map((b) => tile(b.serial, b)),
  ]
}

function listItem(board: BoardView): HTMLElement {
  const li = element('li')
  li.append(element('span', board.serial, { class: 'serial' }), ' ')
  if (board.record) li.append(outcomeBadge(board.record.outcome))
  else li.append(element('span', doing(board)))
  const where = place(board)
  const sources = sourcesText(board.record?.provision)
  const failedPhase = board.record?.failedPhase && `during ${board.record.failedPhase}`
  const extra = [where, sources, failedPhase].filter(Boolean).join('; ')
  if (extra) li.append(element('small', ` ${extra}`))
  return li
}

function total(label: string, value: string, kind = ''): HTMLElement {
  const div = element('div', undefined, { class: kind })
  div.append(element('dt', label), element('dd', value, { 'aria-label': label }))
  return div
}

function jobFacts(state: StationState): HTMLElement[] {
  const { image, sources } = state.job
  const rows: [string, string][] = [['Station', state.job.station]]
  if (image) {
    rows.push(['Image', `${bytes(image.size)}, CRC ${hex32(image.crc)}`])
    rows.push([
      image.files.length === 1 ? 'File' : `Files (${image.files.length})`,
      image.files.map((f) => `${f.name} (${bytes(f.length)})`).join(', '),
    ])
  }
  if (sources?.perBoard) rows.push(['Per-board folders', sources.perBoard])
  if (sources?.pool) rows.push(['Pool', sources.pool])
  if (sources?.generate) rows.push(['Generator', sources.generate])
  if (!image) rows.push(['Image', 'built for each board when it arrives'])
  return rows.flatMap(([dt, dd]) => [element('dt', dt), element('dd', dd)])
}

export function render(state: StationState, now: number): void {
  byId('title').textContent = `flashdata station ${state.job.station}`
  document.title = `${state.job.station}: flashdata station`
  const stopped = state.control === 'stopped'
  byId('control-state').textContent =
    stopped && state.stoppedBy ? `Stopped: ${STOPPED_WORDS[state.stoppedBy]}` : CONTROL_WORDS[state.control]
  byId('control-state').className = `status ${stopped ? 'done' : state.control === 'running' ? 'info' : 'error'}`
  const t = totals(state)
  const p = pace(state, now)
  byId('totals').replaceChildren(
    total('Flashed', String(t.flashed), 'flashed'),
    total('Unchanged', String(t.unchanged), 'unchanged'),
    total('Failed', String(t.failed), 'failed'),
    total('In progress', String(t.inProgress)),
    ...(t.waiting ? [total('Waiting', String(t.waiting))] : []),
    total('Boards per hour', p.perHour === undefined ? '–' : formatBytes(Math.round(p.perHour))),
    total('Time per board', p.msPerBoard === undefined ? '–' : seconds(p.msPerBoard)),
  )
  byId('tiles').replaceChildren(...tiles(state))
  byId('boards').replaceChildren(...state.boards.map(listItem))
  byId('failures').replaceChildren(
    ...(state.failures.length
      ? [...state.failures].reverse().map((f) => {
          const li = element('li')
          li.append(
            element('strong', `${f.serial}${f.slot ? ` (slot ${f.slot})` : ''}`),
            `${f.phase ? ` during ${f.phase}` : ''}: `,
            element('span', hintedText(f.error.message, stationHint(f.error.code)), { class: 'error-text' }),
          )
          return li
        })
      : [element('li', 'none')]),
  )
  byId('job')
    .querySelector('dl')!
    .replaceChildren(...jobFacts(state))
  byId('messages').replaceChildren(...state.messages.map((m) => element('li', m)))
}
