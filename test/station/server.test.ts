// The station server with a small per-page bound: a page that stops reading is dropped while the events keep
// flowing to the others, and a page that connects late gets the full state first.
import { get } from 'node:http'
import { connect } from 'node:net'
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
    const station = new Station({ station: 'bench' }, false, () => {})
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
    const station = new Station({ station: 'bench' }, false, () => {})
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

  it('refuses another host name for a station bound to this machine, and posts from another site', async () => {
    const station = new Station({ station: 'bench' }, false, () => {})
    server = await serveStation(station, { host: '127.0.0.1', port: 0, exposed: false, root })
    const port = new URL(server.url).port
    const status = (path: string, headers: Record<string, string>, method = 'GET') =>
      new Promise<number>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port, path, headers, method }, (response) => {
          response.resume()
          resolve(response.statusCode!)
        })
        req.on('error', reject)
      })
    expect(await status('/state', { host: `evil.example:${port}` })).toBe(403)
    expect(await status('/state', { host: `127.0.0.1:${port}` })).toBe(200)
    expect(await status('/pause', { host: `127.0.0.1:${port}`, origin: 'http://evil.example' }, 'POST')).toBe(403)
    expect(station.state.control).toBe('running')
    expect(await status('/pause', { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }, 'POST')).toBe(200)
    expect(station.state.control).toBe('paused')
  })
})
