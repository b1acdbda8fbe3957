// `flashdata web` as a user runs it: a real process, its printed address, its headers, and its stop.
import { connect } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import { describe, expect, it } from 'vitest'
import { ndjson, startUntil } from '../helpers/cli.js'

/** Starts `flashdata web` with these arguments and resolves with its first JSON line once it serves. */
async function startWeb(args: string[]) {
  const run = startUntil(['web', '--port', '0', '--json', ...args], {}, (line) => line.startsWith('{'))
  await run.reached
  return { ...run, printed: ndjson(run.output())[0] as { url: string; secureOrigin: boolean; networkUrl?: string } }
}

describe('flashdata web', { timeout: 60_000 }, () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops on %s while a client holds a request half-sent, dropping its connection',
    async (signal) => {
      const web = await startWeb([])
      const url = new URL(web.printed.url)
      const client = connect(Number(url.port), '127.0.0.1')
      const dropped = new Promise<void>((resolve) => client.on('close', () => resolve()))
      client.on('error', () => {})
      // Headers never finished: the server waits for the rest (Node's own limit for them is a minute).
      await new Promise<void>((resolve) =>
        client.on('connect', () => client.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n', () => resolve())),
      )
      web.child.kill(signal)
      expect(await web.exited).toBe(0)
      await dropped
    },
  )

  it('sends its frame and script policy on every response: the page, its script, a missing file', async () => {
    const web = await startWeb([])
    for (const path of ['', 'main.js', 'ui.css', 'nothing-here']) {
      const response = await fetch(new URL(path, web.printed.url))
      expect(response.status).toBe(path === 'nothing-here' ? 404 : 200)
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      const policy = response.headers.get('content-security-policy')!
      expect(policy).toContain("frame-ancestors 'none'")
      expect(policy).toContain("default-src 'none'")
      expect(/script-src ([^;]*)/.exec(policy)![1]).toBe("'self'")
    }
    web.child.kill('SIGINT')
    expect(await web.exited).toBe(0)
  })

  it('on every interface (--host 0.0.0.0) prints http://localhost as the address where WebUSB works, and says the network one is not a secure origin', async () => {
    const web = await startWeb(['--host', '0.0.0.0'])
    const port = new URL(web.printed.url).port
    expect(web.printed).toEqual({
      type: 'result',
      command: 'web',
      url: `http://localhost:${port}/`,
      secureOrigin: true,
      networkUrl: `http://${hostname()}:${port}/`,
    })
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200)
    web.child.kill('SIGINT')
    expect(await web.exited).toBe(0)

    const human = startUntil(['web', '--port', '0', '--host', '0.0.0.0'], {}, (line) => line.includes('WebUSB'))
    await human.reached
    expect(human.output()).toMatch(/^Serving the flashdata page on http:\/\/localhost:\d+\/ \(Ctrl-C stops it\)\n/)
    expect(human.output()).toContain(
      'but WebUSB is off there: browsers allow it only on a secure origin (http://localhost, http://127.0.0.1 or HTTPS)',
    )
    human.child.kill('SIGINT')
    expect(await human.exited).toBe(0)
  })

  it("on one of the machine's network addresses says WebUSB is off there", async () => {
    // An address of this machine that is not the loopback (every test machine has a network interface).
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4')!.address
    const web = await startWeb(['--host', address])
    expect(web.printed).toMatchObject({ url: expect.stringMatching(`^http://${address}:\\d+/$`), secureOrigin: false })
    expect(web.printed.networkUrl).toBeUndefined()
    web.child.kill('SIGINT')
    expect(await web.exited).toBe(0)
  })
})
