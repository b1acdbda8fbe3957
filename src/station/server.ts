/**
 * The station page's small HTTP server: the built page, the state as
 * server-sent events (a full snapshot first, then every event), the controls
 * and the downloads. It never waits for a page: each write goes to the
 * socket's buffer, and a page whose buffer grows past the bound (it stopped
 * reading) is dropped; its reconnection starts with a fresh snapshot.
 * Server-sent events: https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { hostname } from 'node:os'
import { junitXml, summaryCsv } from '../provision/reports.js'
import { closeServer, contentType, listen, pageHeaders, readPage } from './http.js'
import type { Station } from './station.js'
import type { StationEvent } from './state.js'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])
/** Bytes a page may leave unread before it is dropped: hundreds of boards' worth of events. */
const CLIENT_BUFFER_BYTES = 1 << 20
const PROGRESS_MS = 100

export interface StationServerOptions {
  host: string
  port: number
  /** Exposed (--ui-host): the controls and downloads need the token. */
  exposed: boolean
  clientBufferBytes?: number
  /** The built page (dist/station-page). */
  root?: URL
}

export interface StationServer {
  url: string
  /** Set when exposed: the page's controls send it. */
  token?: string
  /** Pages connected now, and those dropped for not reading. */
  pages(): { open: number; dropped: number }
  close(): Promise<void>
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

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

  const allowed = (request: IncomingMessage, url: URL): boolean => {
    if (!token) return true
    const given = request.headers['x-station-token'] ?? url.searchParams.get('token') ?? ''
    return typeof given === 'string' && sameText(given, token)
  }

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value)
    const url = new URL(request.url ?? '/', 'http://station')
    const path = url.pathname
    const host = request.headers.host ?? ''
    // Bound to this machine only: refuse other names for it (DNS rebinding), and posts from other sites' pages.
    if (!options.exposed && !LOOPBACK.has(host.replace(/:\d+$/, '')))
      return plain(response, 403, 'This station page answers on 127.0.0.1 only.\n')
    const origin = request.headers.origin
    if (request.method === 'POST' && origin !== undefined && origin !== `http://${host}`)
      return plain(response, 403, 'Controls are accepted from the station page only.\n')
    if (request.method === 'GET' && path === '/events') return openStream(response)
    if (request.method === 'GET' && path === '/state') return json(response, { ...station.state, pages: pages() })
    const control = /^\/(pause|resume|stop)$/.exec(path)?.[1] as 'pause' | 'resume' | 'stop' | undefined
    const download = DOWNLOADS[path]
    if ((control && request.method === 'POST') || (download && request.method === 'GET')) {
      if (!allowed(request, url))
        return plain(
          response,
          403,
          'The station is exposed on the network: the controls and downloads need the token printed with its address.\n',
        )
      if (control) {
        station.control(control)
        return json(response, { control: station.state.control })
      }
      const body = download!.body(station)
      return void response
        .writeHead(200, {
          'content-type': download!.type,
          'content-disposition': `attachment; filename="${download!.name(station.state.job.station.replace(/[^\w.-]/g, '_'))}"`,
          'cache-control': 'no-store',
        })
        .end(body)
    }
    const body = files.get(path === '/' ? '/index.html' : path)
    if (!body || request.method !== 'GET') return plain(response, 404, 'Not found\n')
    response.writeHead(200, { 'content-type': contentType(path), 'cache-control': 'no-cache' }).end(body)
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
  const port = await listen(
    server,
    options.host,
    options.port,
    'the station page',
    'Choose another port with --ui, or --ui 0 for a free one; --ui-host must be an address of this machine.',
  )
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
