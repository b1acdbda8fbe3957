/**
 * The station page's small HTTP server: the built page, the state as
 * server-sent events (a full snapshot first, then every event), the controls
 * and the downloads. It never waits for a page: each write goes to the
 * socket's buffer, and a page whose buffer grows past the bound (it stopped
 * reading) is dropped; its reconnection starts with a fresh snapshot.
 * Server-sent events: https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { hostname } from 'node:os'
import type { AddressInfo } from 'node:net'
import { junitXml, summaryCsv } from '../provision/reports.js'
import { refusal, servedNames, type AccessRules } from './access.js'
import { closeServer, contentType, listen, pageHeaders, readPage } from './http.js'
import type { Station } from './station.js'
import type { StationEvent } from './state.js'

/** Bytes a page may leave unread before it is dropped: hundreds of boards' worth of events. */
const CLIENT_BUFFER_BYTES = 1 << 20
const PROGRESS_MS = 100

export interface StationServerOptions {
  host: string
  port: number
  /** Exposed (--ui-host): everything but the page's own files needs the token (see access.ts). */
  exposed: boolean
  clientBufferBytes?: number
  /** The built page (dist/station-page). */
  root?: URL
}

export interface StationServer {
  url: string
  /** Set when exposed: the page sends it with every request for the station's state, controls and downloads. */
  token?: string
  /** Pages connected now, and those dropped for not reading. */
  pages(): { open: number; dropped: number }
  close(): Promise<void>
}

export async function serveStation(station: Station, options: StationServerOptions): Promise<StationServer> {
  const files = readPage(
    options.root ?? new URL('../station-page/', import.meta.url),
    'The station page',
    'dist/station-page/',
  )
  const headers = pageHeaders(files)
  const token = options.exposed ? randomBytes(16).toString('hex') : undefined
  const limit = options.clientBufferBytes ?? CLIENT_BUFFER_BYTES
  const clients = new Set<ServerResponse>()
  let dropped = 0

  /** Writes without waiting; a page that lets its buffer fill is dropped. */
  const send = (response: ServerResponse, text: string) => {
    if (response.destroyed) return
    response.write(text)
    if (response.writableLength > limit) {
      dropped++
      clients.delete(response)
      response.destroy()
    }
  }
  const broadcast = (event: StationEvent) => {
    const text = `data: ${JSON.stringify(event)}\n\n`
    for (const client of clients) send(client, text)
  }
  // A board's progress goes out at most every PROGRESS_MS, the latest only (the page cannot show more); every
  // other event at once, after dropping its board's progress still pending, which it supersedes.
  const pending = new Map<string, StationEvent>()
  let flushing: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    flushing = undefined
    for (const event of pending.values()) broadcast(event)
    pending.clear()
  }
  station.subscribe((event) => {
    if (clients.size === 0) return
    if (event.type === 'progress' && event.serial) {
      pending.set(event.serial, event)
      flushing ??= setTimeout(flush, PROGRESS_MS)
      return
    }
    if (event.type !== 'control' && event.type !== 'stopped' && event.serial) pending.delete(event.serial)
    broadcast(event)
  })

  const rules: AccessRules = { names: () => new Set(), token }

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value)
    const url = new URL(request.url ?? '/', 'http://station')
    const path = url.pathname
    const file = request.method === 'GET' ? files.get(path === '/' ? '/index.html' : path) : undefined
    const refused = refusal(request, url, rules, file !== undefined)
    if (refused) return plain(response, 403, refused)
    if (file)
      return void response.writeHead(200, { 'content-type': contentType(path), 'cache-control': 'no-cache' }).end(file)
    if (request.method === 'GET' && path === '/events') return openStream(response)
    if (request.method === 'GET' && path === '/state') return json(response, { ...station.state, pages: pages() })
    const control = request.method === 'POST' ? /^\/(pause|resume|stop)$/.exec(path)?.[1] : undefined
    if (control) {
      station.control(control as 'pause' | 'resume' | 'stop')
      return json(response, { control: station.state.control })
    }
    const download = request.method === 'GET' ? DOWNLOADS[path] : undefined
    if (!download) return plain(response, 404, 'Not found\n')
    response
      .writeHead(200, {
        'content-type': download.type,
        'content-disposition': `attachment; filename="${download.name(station.state.job.station.replace(/[^\w.-]/g, '_'))}"`,
        'cache-control': 'no-store',
      })
      .end(download.body(station))
  }

  const openStream = (response: ServerResponse) => {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    clients.add(response)
    response.on('close', () => clients.delete(response))
    // The full state first, then every event after it: a page opened or reloaded mid-run misses nothing.
    send(response, `retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(station.state)}\n\n`)
  }
  const pages = () => ({ open: clients.size, dropped })

  const server: Server = createServer(handle)
  const port = await listen(server, options.host, options.port, 'the station page', '--ui')
  rules.names = servedNames(options.host, (server.address() as AddressInfo).address)
  const shown =
    options.host === '0.0.0.0' || options.host === '::'
      ? hostname()
      : options.host.includes(':')
        ? `[${options.host}]`
        : options.host
  return {
    url: `http://${shown}:${port}/${token ? `#token=${token}` : ''}`,
    token,
    pages,
    close: () => {
      clearTimeout(flushing)
      for (const client of clients) client.end()
      return closeServer(server)
    },
  }
}

const DOWNLOADS: Record<
  string,
  { name: (station: string) => string; type: string; body: (station: Station) => string }
> = {
  '/log.ndjson': {
    name: (s) => `${s}-log.ndjson`,
    type: 'application/x-ndjson',
    body: (s) => s.records.map((r) => `${JSON.stringify(r)}\n`).join(''),
  },
  '/report.xml': {
    name: (s) => `${s}-junit.xml`,
    type: 'application/xml',
    body: (s) => junitXml(s.records, s.state.job.station),
  },
  '/report.csv': {
    name: (s) => `${s}-summary.csv`,
    type: 'text/csv; charset=utf-8',
    body: (s) => summaryCsv(s.records),
  },
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text)
}

function json(response: ServerResponse, value: unknown): void {
  response
    .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(value))
}
