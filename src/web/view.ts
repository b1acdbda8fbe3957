/** Rendering: the listing, the picture of the sector, progress, and the status line. */
import type { JobEvent } from '../jobs/events.js'
import { SECTOR_SIZE, tableEnd } from '../image/format.js'
import type { ImageListing } from '../image/parse.js'
import { toFlashdataError } from '../errors.js'
import { bytes as byteCount, formatBytes, plural } from '../text.js'
import { byId, element } from '../ui/dom.js'
import { hintedText } from '../ui/error-text.js'
import { pageHint } from './hints.js'
import { showProgress } from '../ui/progress.js'

function block(kind: string, bytes: number, title: string): HTMLElement {
  const el = element('span', undefined, { class: `block ${kind}`, title })
  el.style.flexGrow = String(bytes)
  return el
}

/** The files of an image and the sector they fill: header and table, one block per file, then free space. */
export function showListing(
  container: HTMLElement,
  listing: ImageListing,
  links?: (index: number) => HTMLElement,
): void {
  const table = element('table')
  table.append(
    element(
      'caption',
      `${plural(listing.files.length, 'file')}, ${formatBytes(listing.usedBytes)} of ${byteCount(SECTOR_SIZE)} used, ${formatBytes(listing.freeBytes)} free`,
    ),
  )
  const head = element('tr')
  for (const label of ['Name', 'Bytes', 'Type', ...(links ? [''] : [])]) head.append(element('th', label))
  table.append(head)
  const sector = element('div', undefined, {
    class: 'sector',
    role: 'img',
    'aria-label': `Sector 9: ${byteCount(listing.usedBytes)} used, ${formatBytes(listing.freeBytes)} free`,
  })
  sector.append(block('table', tableEnd(listing.files.length), 'header and file table'))
  for (const file of listing.files) {
    const row = element('tr')
    row.append(element('td', file.name), element('td', formatBytes(file.length)), element('td', file.contentType))
    if (links) row.append(element('td').appendChild(links(file.index)).parentElement!)
    table.append(row)
    sector.append(block('file', file.length, `${file.name}: ${byteCount(file.length)}`))
  }
  sector.append(block('free', listing.freeBytes, `free: ${byteCount(listing.freeBytes)}`))
  container.replaceChildren(sector, table)
}

/** Progress of a job: the phase, a bar, bytes and speed; messages go to the log. */
export function showEvent(event: JobEvent): void {
  showProgress(byId<HTMLProgressElement>('progress'), byId('phase'), event)
  if (event.type === 'message') byId('log').append(element('li', event.message))
}

export function setStatus(text: string, kind: 'info' | 'done' | 'error' = 'info'): void {
  const status = byId('status')
  status.textContent = text
  status.className = `status ${kind}`
}

/** Any failure as the status: what happened, then what to do next. */
export function showError(what: string | undefined, error: unknown): void {
  const failure = toFlashdataError(error)
  setStatus(`${what ? `${what} failed: ` : ''}${hintedText(failure.message, pageHint(failure))}`, 'error')
}
