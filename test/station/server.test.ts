// The station server with a small per-page bound: a page that stops reading is dropped while the events keep
// flowing to the others, and a page that connects late gets the full state first.
import { get } from 'node:http'
import { connect } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import type { JobEvent } from 'flashdata'
import { serveStation, type StationServer } from '../../src/station/server.js'
import { Station } from '../../src/station/station.js'
import type { StationState } from '../../src/station/state.js'

const root = new URL('../../dist/station-page/', import.meta.url)
let server: StationServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Reads a stream's snapshot and counts the events after it. */
function reader(url: string) {
  let text = ''
  const got = { snapshot: undefined as StationState | undefined, events: 0, last: undefined as unknown }
  const ready = new Promise<void>((resolve) => {
    get(`${url}events`, (response) => {
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          const message = text.slice(0, end)
          text = text.slice(end + 2)
          const data = message
            .split('\n')
            .find((line) => line.startsWith('data: '))!
            .slice(6)
          if (message.includes('event: snapshot')) {
            got.snapshot = JSON.parse(data) as StationState
            resolve()
          } else {
            got.events++
            got.last = JSON.parse(data)
          }
        }
      })
    })
  })
  return { got, ready }
}

const A = 'a'.repeat(24)
const progress = (i: number): JobEvent => ({
  type: 'progress',
  phase: 'write',
  serial: A,
  bytes: i,
  totalBytes: 131072,
  elapsedMs: i,
})
/** An event the server sends on at once (progress is sent at most every 100 ms per board). */
const phaseStart = (i: number): JobEvent => ({ type: 'phase-start', phase: 'write', serial: A, totalBytes: i })

describe('station server', () => {
  it('drops a page that never reads once its buffer passes the bound, and keeps serving the others', async () => {
    const station = new Station({ station: 'bench' }, () => {})
    server = await serveStation(station, {
      host: '127.0.0.1',
      port: 0,
      exposed: false,
      clientBufferBytes: 256 * 1024,
      root,
    })
    station.publish({ type: 'board-attached', serial: 'a'.repeat(24), mode: 'dfu', platform: 'electron' })
    const stalled = connect(Number(new URL(server.url).port), '127.0.0.1')
    stalled.on('error', () => {})
    await new Promise<void>((resolve) =>
      stalled.on('connect', () => {
        stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
        stalled.pause()
        resolve()
      }),
    )
    const live = reader(server.url)
    await live.ready
    expect(live.got.snapshot!.boards.map((b) => b.serial)).toEqual(['a'.repeat(24)])
    await new Promise<void>((resolve) => {
      const wait = () => (server!.pages().open === 2 ? resolve() : setTimeout(wait, 10))
      wait()
    })
    // Far more than the bound and the sockets' own buffers, in bursts as boards make them, published without waiting for anyone.
    const sent = 60_000
    for (let i = 1; i <= sent; i++) {
      station.publish(phaseStart(i))
      if (i % 200 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await new Promise<void>((resolve) => {
      const wait = () => (live.got.events === sent ? resolve() : setTimeout(wait, 20))
      wait()
    })
    expect(server.pages()).toEqual({ open: 1, dropped: 1 })
    stalled.destroy()
  })

  it("sends a board's progress at most every 100 ms, the latest only, and drops it when the board's next event supersedes it", async () => {
    const station = new Station({ station: 'bench' }, () => {})
    server = await serveStation(station, { host: '127.0.0.1', port: 0, exposed: false, root })
    const live = reader(server.url)
    await live.ready
    for (let i = 1; i <= 1000; i++) station.publish(progress(i))
    await new Promise<void>((resolve) => {
      const wait = () => (live.got.events === 1 ? resolve() : setTimeout(wait, 10))
      wait()
    })
    expect(live.got.last).toMatchObject({ type: 'progress', bytes: 1000 })
    for (let i = 1; i <= 1000; i++) station.publish(progress(i))
    station.publish({ type: 'phase-end', phase: 'write', serial: A, elapsedMs: 1000 })
    await new Promise<void>((resolve) => {
      const wait = () => (live.got.events === 2 ? resolve() : setTimeout(wait, 10))
      wait()
    })
    await new Promise((resolve) => setTimeout(resolve, 300)) // long past the next send of progress, had one been pending
    expect(live.got.events).toBe(2)
    expect(live.got.last).toMatchObject({ type: 'phase-end' })
    expect(station.state.boards[0]).toMatchObject({ bytes: 1000 }) // the state itself has every event
  })

  it('bound to this machine, answers only to its loopback names and takes controls only from its own page', async () => {
    const station = new Station({ station: 'bench' }, () => {})
    server = await serveStation(station, { host: '127.0.0.1', port: 0, exposed: false, root })
    const { status } = client(server)
    const port = new URL(server.url).port
    for (const host of [
      `evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      'localhost.evil.example',
      '192.0.2.2',
    ])
      for (const path of ['/', '/state', '/events', '/log.ndjson'])
        expect(await status(path, { host }), `${path} for Host ${host}`).toBe(403)
    expect(await status('/state', { host: undefined })).toBe(403)
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`])
      expect(await status('/state', { host })).toBe(200)
    const own = { host: `127.0.0.1:${port}` }
    expect(await status('/pause', { ...own, origin: 'http://evil.example' }, 'POST')).toBe(403)
    expect(await status('/pause', { ...own, origin: `http://localhost:${port}` }, 'POST')).toBe(403)
    expect(await status('/pause', { ...own, 'sec-fetch-site': 'cross-site' }, 'POST')).toBe(403)
    expect(await status('/pause', { ...own, 'sec-fetch-site': 'same-site' }, 'POST')).toBe(403)
    expect(station.state.control).toBe('running')
    expect(
      await status('/pause', { ...own, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }, 'POST'),
    ).toBe(200)
    expect(station.state.control).toBe('paused')
  })

  it('exposed, shows nothing and takes no control without its token, in its place, from its own page', async () => {
    const secret = 'sh make-cert.sh --ca-pass SECRET-IN-COMMAND'
    const station = new Station({ station: 'bench', sources: { generate: secret } }, () => {})
    station.publish({ type: 'board-attached', serial: A, mode: 'dfu', platform: 'electron' })
    server = await serveStation(station, { host: '127.0.0.1', port: 0, exposed: true, root })
    const token = server.token!
    expect(new URL(server.url).hash).toBe(`#token=${token}`)
    const { get: fetchText, status } = client(server)
    const port = new URL(server.url).port
    const own = { host: `127.0.0.1:${port}` }
    const wrong = 'f'.repeat(32)
    for (const path of ['/state', '/events', '/log.ndjson', '/report.xml', '/report.csv']) {
      const refused = [
        [path, own],
        [`${path}?token=${wrong}`, own],
        [path, { ...own, 'x-station-token': wrong }],
        [path, { ...own, 'x-station-token': token.slice(0, 31) }],
        [path, { ...own, authorization: `Bearer ${token}` }],
        [path, { ...own, cookie: `token=${token}` }],
        [`${path}?t=${token}`, own],
        [`${path}/${token}`, own],
        [`${path}#token=${token}`, own],
        // The right token does not open it to another name (DNS rebinding) or an address not served.
        [`${path}?token=${token}`, { host: `evil.example:${port}` }],
        [`${path}?token=${token}`, { host: `127.0.0.1.nip.io:${port}` }],
        [`${path}?token=${token}`, { host: `192.0.2.2:${port}` }],
        [`${path}?token=${token}`, { host: undefined }],
      ] as const
      for (const [asked, headers] of refused) {
        const answer = await fetchText(asked, headers)
        expect(answer.status, `${asked} ${JSON.stringify(headers)}`).toBe(403)
        expect(answer.text).not.toContain('SECRET')
        expect(answer.text).not.toContain(A)
      }
      expect(await status(`${path}?token=${token}`, own)).toBe(200)
      expect(await status(path, { ...own, 'x-station-token': token })).toBe(200)
    }
    expect((await fetchText(`/state?token=${token}`, own)).text).toContain('SECRET-IN-COMMAND')
    // The page's own files hold no data: they load without the token, so that it can say what it needs.
    for (const path of ['/', '/main.js', '/ui.css']) expect(await status(path, own)).toBe(200)
    expect(await status('/', { host: `evil.example:${port}` })).toBe(403)

    const page = { ...own, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }
    for (const control of ['/pause', '/stop']) {
      expect(await status(control, page, 'POST')).toBe(403)
      expect(await status(control, { ...page, 'x-station-token': wrong }, 'POST')).toBe(403)
      expect(await status(`${control}?token=${token}`, page, 'POST')).toBe(403) // a control takes it in the header only
      expect(await status(control, { ...page, cookie: `token=${token}` }, 'POST')).toBe(403)
      expect(await status(control, { ...page, 'x-station-token': token, origin: 'http://evil.example' }, 'POST')).toBe(
        403,
      )
      expect(await status(control, { ...page, 'x-station-token': token, 'sec-fetch-site': 'cross-site' }, 'POST')).toBe(
        403,
      )
      expect(
        await status(
          control,
          { ...page, 'x-station-token': token, host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
          'POST',
        ),
      ).toBe(403)
    }
    expect(station.state.control).toBe('running')
    expect(await status('/stop', { ...page, 'x-station-token': token }, 'POST')).toBe(200)
    expect(station.state.control).toBe('stopping')
  })

  it("on every interface, answers to this machine's name and addresses, and to no other", async () => {
    const station = new Station({ station: 'bench' }, () => {})
    server = await serveStation(station, { host: '0.0.0.0', port: 0, exposed: true, root })
    const { status } = client(server)
    const port = new URL(server.url).port
    const token = { 'x-station-token': server.token! }
    expect(new URL(server.url).hostname).toBe(hostname().toLowerCase())
    const addresses = Object.values(networkInterfaces())
      .flat()
      .map((a) => (a!.family === 'IPv6' ? `[${a!.address}]` : a!.address))
    for (const name of [hostname(), 'localhost', ...addresses])
      expect(await status('/state', { ...token, host: `${name}:${port}` }), name).toBe(200)
    for (const name of ['evil.example', `${hostname()}.evil.example`, '203.0.113.9', '[2001:db8::1]', '0.0.0.0'])
      expect(await status('/state', { ...token, host: `${name}:${port}` }), name).toBe(403)
  })
})

/**
 * Requests with exactly these headers, on a raw socket so nothing is added. A Host of undefined sends none, as
 * HTTP/1.0 (Node itself answers 400 to an HTTP/1.1 request without one, before the station sees it).
 */
function client(running: StationServer) {
  const port = Number(new URL(running.url).port)
  const get = (path: string, headers: Record<string, string | undefined>, method = 'GET') =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1')
      let text = ''
      socket.setEncoding('utf8')
      socket.on('error', reject)
      socket.on('data', (chunk: string) => {
        text += chunk
        // The status line and headers are enough for a stream, which never ends.
        if (/^HTTP\/1\.1 200/.test(text) && text.includes('text/event-stream') && text.includes('\r\n\r\n'))
          socket.destroy()
      })
      socket.on('close', () => {
        const status = Number(/^HTTP\/1\.\d (\d+)/.exec(text)?.[1])
        resolve({ status, text: text.slice(text.indexOf('\r\n\r\n') + 4) })
      })
      const lines = Object.entries(headers)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => `${name}: ${value}\r\n`)
      const version = headers.host === undefined ? '1.0' : '1.1'
      socket.write(
        `${method} ${path} HTTP/${version}\r\n${lines.join('')}connection: close\r\ncontent-length: 0\r\n\r\n`,
      )
    })
  return { get, status: async (...args: Parameters<typeof get>) => (await get(...args)).status }
}
