/**
 * The station page: the jig's state as the server sends it (a snapshot, then
 * every event, applied with the server's own function), rendered at most a
 * few times a second, and the controls. It decides nothing the jig decides.
 */
import { byId } from '../../ui/dom.js'
import { applyEvent, type StationEvent, type StationState } from '../state.js'
import { render } from './view.js'

/** Given in the address's fragment (#token=...) when the station is exposed; a fragment is never sent to a server or in a Referer. */
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined
/** For what cannot send a header (the event stream, the download links). */
const query = token ? `?token=${encodeURIComponent(token)}` : ''
let state: StationState | undefined
// biome-ignore lint/correctness/noUnusedVariables: read by ??= in scheduleDraw()
let drawing: ReturnType<typeof setTimeout> | undefined
let link = 'Connecting…'

function draw(): void {
  drawing = undefined
  if (!state) return
  render(state, Date.now())
  const { control } = state
  byId<HTMLButtonElement>('pause').disabled = control !== 'running'
  byId<HTMLButtonElement>('resume').disabled = control !== 'paused'
  byId<HTMLButtonElement>('stop').disabled = control !== 'running' && control !== 'paused'
  for (const id of ['log', 'junit', 'csv']) {
    const a = byId<HTMLAnchorElement>(id)
    a.href = `${a.getAttribute('href')!.split('?')[0]}${query}`
  }
  byId('link').textContent = link
}

/** Coalesces bursts of events (progress of many boards) into one drawing. */
function scheduleDraw(): void {
  drawing ??= setTimeout(draw, 200)
}

async function control(what: 'pause' | 'resume' | 'stop'): Promise<void> {
  const response = await fetch(what, { method: 'POST', headers: token ? { 'x-station-token': token } : {} })
  if (!response.ok) {
    link = `${what} refused: ${(await response.text()).trim()}`
    scheduleDraw()
  }
}

/** The stream was refused (a station on the network, opened without its token): says why, from the server's own words. */
async function refused(): Promise<void> {
  const response = await fetch(`state${query}`)
  if (response.ok) return
  byId('link').textContent = (await response.text()).trim()
  byId('token-note').hidden = response.status !== 403
}

function connect(): void {
  const stream = new EventSource(`events${query}`)
  stream.addEventListener('snapshot', (message) => {
    state = JSON.parse((message as MessageEvent<string>).data) as StationState
    link = 'Live'
    scheduleDraw()
  })
  stream.addEventListener('message', (message) => {
    if (!state) return
    applyEvent(state, JSON.parse(message.data as string) as StationEvent)
    scheduleDraw()
  })
  stream.addEventListener('error', () => {
    // Refused: the browser gives up on the stream (it reconnects only after a network error).
    if (!state && stream.readyState === EventSource.CLOSED) return void refused().catch(() => {})
    // The station ended: its last state stays on the screen. Otherwise the browser reconnects and gets a fresh snapshot.
    if (state?.control === 'stopped') {
      stream.close()
      link = 'The station has ended; this is its final state.'
    } else {
      link = 'Connection lost: reconnecting…'
    }
    scheduleDraw()
  })
}

for (const what of ['pause', 'resume', 'stop'] as const) byId(what).addEventListener('click', () => void control(what))
// Boards per hour moves with the clock between events too.
setInterval(scheduleDraw, 5000)
connect()
