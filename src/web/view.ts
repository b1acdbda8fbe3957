/** Rendering: the listing, the picture of the sector, progress, and the status line. */
import { FlashdataError } from '../errors.js'
import type { JobEvent } from '../jobs/events.js'
import { SECTOR_SIZE, tableEnd } from '../image/format.js'
import type { ImageListing } from '../image/parse.js'

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const number = (n: number) => n.toLocaleString('en-US')

function element(tag: string, text?: string, attributes: Record<string, string> = {}): HTMLElement {
  const el = document.createElement(tag)
  if (text !== undefined) el.textContent = text
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value)
  return el
}

function block(kind: string, bytes: number, title: string): HTMLElement {
  const el = element('span', undefined, { class: `block ${kind}`, title })
  el.style.flexGrow = String(bytes)
  return el
}

/** The files of an image and the sector they fill: header and table, one block per file, then free space. */
export function showListing(container: HTMLElement, listing: ImageListing, links?: (index: number) => HTMLElement): void {
  const table = element('table')
  table.append(element('caption', `${listing.files.length} ${listing.files.length === 1 ? 'file' : 'files'}, ${number(listing.usedBytes)} of ${number(SECTOR_SIZE)} bytes used, ${number(listing.freeBytes)} free`))
  const head = element('tr')
  for (const label of ['Name', 'Bytes', 'Type', ...(links ? [''] : [])]) head.append(element('th', label))
  table.append(head)
  const sector = element('div', undefined, { class: 'sector', role: 'img', 'aria-label': `Sector 9: ${number(listing.usedBytes)} bytes used, ${number(listing.freeBytes)} free` })
  sector.append(block('table', tableEnd(listing.files.length), 'header and file table'))
  for (const file of listing.files) {
    const row = element('tr')
    row.append(element('td', file.name), element('td', number(file.length)), element('td', file.contentType))
    if (links) row.append(element('td').appendChild(links(file.index)).parentElement!)
    table.append(row)
    sector.append(block('file', file.length, `${file.name}: ${number(file.length)} bytes`))
  }
  sector.append(block('free', listing.freeBytes, `free: ${number(listing.freeBytes)} bytes`))
  container.replaceChildren(sector, table)
}

const PHASES: Record<string, string> = {
  connect: 'Connecting', 'mode-switch': 'Switching to DFU mode', compare: 'Comparing', erase: 'Erasing sector 9',
  write: 'Writing', verify: 'Reading back', read: 'Reading', leave: 'Leaving DFU mode', reset: 'Resetting', 'wait-app': 'Waiting for the firmware',
}

/** Progress of a job: the phase, a bar, bytes and speed. */
export function showEvent(event: JobEvent): void {
  const bar = byId<HTMLProgressElement>('progress')
  const label = byId('phase')
  if (event.type === 'phase-start') {
    label.textContent = `${PHASES[event.phase] ?? event.phase}…`
    bar.value = 0
  } else if (event.type === 'progress') {
    bar.value = event.totalBytes ? event.bytes / event.totalBytes : 0
    const speed = event.elapsedMs > 0 ? ` at ${(event.bytes / 1.024 / event.elapsedMs).toFixed(1)} KiB/s` : ''
    label.textContent = `${PHASES[event.phase] ?? event.phase}: ${number(event.bytes)} of ${number(event.totalBytes)} bytes${speed}`
  } else if (event.type === 'phase-end') {
    bar.value = 1
  } else if (event.type === 'message') {
    byId('log').append(element('li', event.message))
  }
}

export function setStatus(text: string, kind: 'info' | 'done' | 'error' = 'info'): void {
  const status = byId('status')
  status.textContent = text
  status.className = kind
}

/** Any failure as the status: what happened, then what to do next. */
export function showError(what: string | undefined, error: unknown): void {
  if (error instanceof FlashdataError) setStatus(`${what ? `${what} failed: ` : ''}${error.message}${error.hint ? ` ${error.hint}` : ''}`, 'error')
  else setStatus(`${what} failed: ${(error as Error)?.message ?? String(error)}. Reload the page and try again; if it persists, report it with this message.`, 'error')
}

export { byId, element, number }
