// The station page in headless Chromium, on a jig over an emulated bench folder (each *.bin file a board:
// moving a file in plugs a board in, moving it out unplugs it). Driven by role and accessible name; the
// assertions are on outcomes and counts, never on time.
import { createServer, request } from 'node:http'
import { connect } from 'node:net'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { byRole, frameFromAnotherSite, launchChromium, WAIT_MS } from '../helpers/chromium.js'
import { ExitCode } from 'flashdata'
import { ndjson, runCli, startUntil } from '../helpers/cli.js'
import { pseudoRandomBytes } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const serial = (n: number) => `5a7${String(n).padStart(21, '0')}`
let browser: Browser
let dir: string
/** Every jig started, ended after the tests even when one failed half-way. */
const started: { kill(): void }[] = []

beforeAll(async () => {
  dir = await tempDir('flashdata-station-')
  browser = await launchChromium(dir)
}, 180_000)

afterAll(async () => {
  for (const child of started) child.kill()
  await browser?.close()
})

/** A data folder whose image takes long enough to write with datasheet timing for a board to be unplugged mid-write. */
async function dataFolder(): Promise<string> {
  const data = join(dir, 'data')
  await mkdir(data, { recursive: true })
  await writeFile(join(data, 'firmware-assets.bin'), pseudoRandomBytes(110_000, 9))
  await writeFile(join(data, 'hello.txt'), 'hello\n')
  return data
}

/** A bench: the station folder (boards plugged in) and the desk (boards waiting), with fresh boards on it. */
async function bench(name: string, desk: string[], plugged: string[] = []) {
  const root = join(dir, name)
  const station = join(root, 'station')
  const staging = join(root, 'desk')
  await mkdir(station, { recursive: true })
  await mkdir(staging, { recursive: true })
  for (const board of desk) await writeFile(join(staging, `${board}.bin`), '')
  for (const board of plugged) await writeFile(join(station, `${board}.bin`), '')
  return {
    root,
    station,
    plug: (board: string) => rename(join(staging, `${board}.bin`), join(station, `${board}.bin`)),
    unplug: (board: string) => rename(join(station, `${board}.bin`), join(staging, `${board}.bin`)),
  }
}

/** Starts the jig with --ui 0 and resolves once it printed the page's address. */
async function startJig(args: string[], env: NodeJS.ProcessEnv = {}) {
  let err = ''
  const run = startUntil(['jig', ...args, '--json', '--ui', '0'], { FLASHDATA_EMULATOR_TIMING: 'datasheet', ...env })
  started.push({ kill: () => run.child.kill('SIGKILL') })
  const url = await new Promise<string>((resolve, reject) => {
    run.child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString()
      const found = /Station page: (\S+)/.exec(err)
      if (found) resolve(found[1])
    })
    run.child.once('close', () => reject(new Error(`the jig ended before serving its page:\n${err}`)))
  })
  return { ...run, url, stderr: () => err }
}

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage()
  await page.setViewport({ width: 1280, height: 900 })
  await page.goto(url)
  await page.waitForFunction(() => document.getElementById('link')!.textContent === 'Live', { timeout: WAIT_MS })
  return page
}

/** Waits until the list item of a board reads as `pattern`, and returns its text. */
async function boardItem(page: Page, board: string, pattern: RegExp): Promise<string> {
  await page.waitForFunction(
    (s, source) =>
      [...document.querySelectorAll('#boards li')].some(
        (li) => li.textContent!.startsWith(s) && new RegExp(source).test(li.textContent!),
      ),
    { timeout: WAIT_MS },
    board,
    pattern.source,
  )
  return page.$$eval('#boards li', (items, s) => items.find((li) => li.textContent!.startsWith(s))!.textContent!, board)
}

const listed = (page: Page) =>
  page.$$eval('[aria-labelledby=boards-title] li', (items) => items.map((li) => li.textContent!))
const totalOf = (page: Page, name: string) =>
  byRole(page, 'definition', name).then((el) => el.evaluate((dd) => dd.textContent))
const tileLabel = (page: Page, board: string) =>
  page.$$eval(
    '#tiles article',
    (tiles, s) => tiles.map((t) => t.getAttribute('aria-label')!).find((l) => l.startsWith(s)) ?? '',
    board,
  )

function post(url: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    request(new URL(path, url), { method: 'POST', headers }, (response) => {
      response.resume()
      resolve(response.statusCode!)
    })
      .on('error', reject)
      .end()
  })
}

describe('the station page', { timeout: 300_000 }, () => {
  it('shows boards arriving over time, a Photon refused with its hint, a board unplugged mid-write, the full state after a reload, and the end', async () => {
    const [a, b, c, u, photon] = [serial(1), serial(2), serial(3), serial(4), `photon-${serial(5)}`]
    const bench1 = await bench('arrivals', [b, c, u], [a, photon])
    const log = join(bench1.root, 'log.ndjson')
    const jig = await startJig([await dataFolder(), '--emulator', bench1.station, '--count', '5', '--log', log])
    const page = await openPage(jig.url)
    expect(await boardItem(page, a, /flashed/)).toContain('flashed')
    const refused = await boardItem(page, serial(5), /failed/)
    expect(refused).toContain('during connect')
    // The failure in words with its hint, in the list of failures and on the tile.
    const failure = await page.$eval('[aria-labelledby=failures-title]', (ul) => ul.textContent!)
    expect(failure).toMatch(/during connect: .*is a Photon.*Take this board off the station: it is not an Electron/)
    expect(await page.$eval('#tiles', (el) => el.textContent!)).toMatch(
      /failed after \d+\.\d s during connect.*is a Photon/,
    )

    await bench1.plug(b)
    await page.waitForFunction(
      (s) => [...document.querySelectorAll('#tiles article')].some((t) => t.getAttribute('aria-label')!.startsWith(s)),
      { timeout: WAIT_MS },
      b,
    )
    // Reloaded mid-run: the snapshot has every board so far, with the outcomes reached before the page existed.
    await page.reload()
    await page.waitForFunction(() => document.getElementById('link')!.textContent === 'Live', { timeout: WAIT_MS })
    const afterReload = await listed(page)
    expect(afterReload.slice(0, 3).map((t) => t.slice(0, 24))).toEqual([a, serial(5), b])
    expect(afterReload[0]).toContain('flashed')
    expect(afterReload[1]).toContain('failed')

    await bench1.plug(u)
    // Unplugged while the page shows it writing.
    await page.waitForFunction(
      (s) =>
        [...document.querySelectorAll('#tiles article')].some((t) =>
          t.getAttribute('aria-label')!.startsWith(`${s}: Writing`),
        ),
      { timeout: WAIT_MS },
      u,
    )
    await bench1.unplug(u)
    expect(await boardItem(page, u, /failed/)).toMatch(/during (write|verify)/)
    expect(await tileLabel(page, u)).toBe(`${u}: failed`)

    await bench1.plug(c)
    expect(await jig.exited).toBe(14) // two boards failed
    await page.waitForFunction(
      () => document.getElementById('control-state')!.textContent === 'Stopped: the count of boards is done',
      { timeout: WAIT_MS },
    )
    const final = await listed(page)
    expect(final.map((t) => t.slice(0, 24))).toEqual([a, serial(5), b, u, c])
    expect(final.map((t) => /flashed|unchanged|failed/.exec(t)?.[0])).toEqual([
      'flashed',
      'failed',
      'flashed',
      'failed',
      'flashed',
    ])
    expect(await totalOf(page, 'Flashed')).toBe('3')
    expect(await totalOf(page, 'Failed')).toBe('2')
    expect(await totalOf(page, 'Boards per hour')).toMatch(/^[\d,]+$/)
    expect(await totalOf(page, 'Time per board')).toMatch(/^\d+\.\d s$/)
    expect(await page.$eval('#job', (el) => el.textContent!)).toMatch(
      /Files \(2\)firmware-assets\.bin \(110,000 bytes\), hello\.txt/,
    )
    const torn = ndjson(await readFile(log, 'utf8')).find((r) => r.serial === u)!
    expect(torn).toMatchObject({ outcome: 'failed', error: { code: 'DISCONNECTED' } })
    expect(['write', 'verify']).toContain(torn.failedPhase) // unplugged once the page showed it writing
    await page.close()
  })

  it('pauses (a board that arrives waits, untouched), resumes, and stops from the page, the board in progress finishing', async () => {
    const [d, e] = [serial(11), serial(12)]
    const bench2 = await bench('controls', [d, e])
    const log = join(bench2.root, 'log.ndjson')
    const jig = await startJig([await dataFolder(), '--emulator', bench2.station, '--log', log])
    const page = await openPage(jig.url)
    await (await byRole(page, 'button', 'Pause')).click()
    await page.waitForFunction(() => document.getElementById('control-state')!.textContent!.startsWith('Paused'), {
      timeout: WAIT_MS,
    })
    expect(await page.$eval('#pause', (button) => (button as HTMLButtonElement).disabled)).toBe(true)
    await bench2.plug(d)
    expect(await boardItem(page, d, /waiting \(paused\)/)).toContain('waiting (paused)')
    expect(
      ndjson(jig.output())
        .filter((event) => event.serial === d)
        .map((event) => event.type),
    ).toEqual(['board-waiting']) // announced, not taken
    await (await byRole(page, 'button', 'Resume')).click()
    expect(await boardItem(page, d, /flashed/)).toContain('flashed')

    await bench2.plug(e)
    await page.waitForFunction(
      (s) =>
        [...document.querySelectorAll('#tiles article')].some(
          (t) =>
            /: (Comparing|Erasing|Writing|Switching)/.test(t.getAttribute('aria-label')!) &&
            t.getAttribute('aria-label')!.startsWith(s),
        ),
      { timeout: WAIT_MS },
      e,
    )
    await (await byRole(page, 'button', 'Stop')).click()
    expect(await jig.exited).toBe(0)
    expect(ndjson(jig.output()).at(-1)).toMatchObject({
      type: 'result',
      command: 'jig',
      boards: 2,
      flashed: 2,
      stoppedBy: 'signal',
    })
    expect(ndjson(await readFile(log, 'utf8')).map((r) => [r.serial, r.outcome])).toEqual([
      [d, 'flashed'],
      [e, 'flashed'],
    ])
    await page.waitForFunction(
      () => document.getElementById('control-state')!.textContent === 'Stopped: by the operator (Stop or Ctrl-C)',
      { timeout: WAIT_MS },
    )
    expect(await boardItem(page, e, /flashed/)).toContain('flashed')
    await page.close()
  })

  it('keeps its pace with a page open and a client that never reads its stream: every board flashed and counted', async () => {
    const boards = Array.from({ length: 8 }, (_, i) => serial(21 + i))
    const bench3 = await bench('pace', boards)
    const jig = await startJig([await dataFolder(), '--emulator', bench3.station, '--count', '8'])
    // Asks for the stream, then never reads a byte of it.
    const stalled = connect(Number(new URL(jig.url).port), '127.0.0.1')
    stalled.on('connect', () => {
      stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
      stalled.pause()
    })
    stalled.on('error', () => {}) // dropped by the station: expected
    const page = await openPage(jig.url)
    for (const board of boards) await bench3.plug(board)
    expect(await jig.exited).toBe(0)
    expect(ndjson(jig.output()).at(-1)).toMatchObject({
      type: 'result',
      command: 'jig',
      boards: 8,
      flashed: 8,
      failed: 0,
      stoppedBy: 'count',
    })
    await page.waitForFunction(
      () => document.getElementById('control-state')!.textContent === 'Stopped: the count of boards is done',
      { timeout: WAIT_MS },
    )
    expect(await totalOf(page, 'Flashed')).toBe('8')
    expect((await listed(page)).map((t) => t.slice(0, 24))).toEqual(boards)
    stalled.destroy()
    await page.close()
  })

  it('exposed with --ui-host, shows nothing and takes no control without its token', async () => {
    const board = serial(31)
    const bench4 = await bench('exposed', [], [board])
    const jig = await startJig([await dataFolder(), '--emulator', bench4.station, '--ui-host', '127.0.0.1'])
    const url = new URL(jig.url)
    const token = new URLSearchParams(url.hash.slice(1)).get('token')!
    expect(token).toMatch(/^[0-9a-f]{32}$/)
    expect(jig.stderr()).toContain('need the token')
    const base = `${url.origin}/`
    expect(await post(base, 'pause')).toBe(403)
    expect(await post(base, 'pause', { 'x-station-token': 'f'.repeat(32) })).toBe(403)
    for (const path of ['state', 'events', 'log.ndjson', 'report.csv'])
      expect((await fetch(`${base}${path}`)).status, path).toBe(403)
    expect((await fetch(`${base}log.ndjson?token=${token}`)).status).toBe(200)

    // Opened without the token, or with a wrong one: the page says what it needs, and has nothing of the station.
    for (const address of [base, `${base}#token=${'f'.repeat(32)}`]) {
      const without = await browser.newPage()
      await without.goto(address)
      await without.waitForFunction(() => !document.getElementById('token-note')!.hidden, { timeout: WAIT_MS })
      expect(await without.$eval('#link', (el) => el.textContent)).toContain('needs the token')
      expect(await without.$eval('main', (el) => el.textContent)).not.toContain(board)
      await without.close()
    }

    const page = await openPage(jig.url)
    expect(await page.$eval('#token-note', (note) => (note as HTMLElement).hidden)).toBe(true)
    expect(await boardItem(page, board, /flashed/)).toContain('flashed')
    await (await byRole(page, 'button', 'Pause')).click()
    await page.waitForFunction(() => document.getElementById('control-state')!.textContent!.startsWith('Paused'), {
      timeout: WAIT_MS,
    })
    const report = await page.evaluate(async () =>
      (await fetch((document.getElementById('csv') as HTMLAnchorElement).href)).text(),
    )
    expect(report.split('\n')[0]).toMatch(/^serial,outcome/)
    await (await byRole(page, 'button', 'Stop')).click()
    expect(await jig.exited).toBe(0)
    await page.close()
  })

  it('cannot be framed by a page on another origin: the frame is refused, and a click where Stop would be stops nothing', async () => {
    const bench7 = await bench('framed', [])
    const jig = await startJig([await dataFolder(), '--emulator', bench7.station])
    const page = await openPage(jig.url)
    const stop = (await (await byRole(page, 'button', 'Stop')).boundingBox())!
    const framed = await frameFromAnotherSite(browser, jig.url)
    expect(await framed.has('#stop')).toBe(false)
    await framed.clickAt(stop.x + stop.width / 2, stop.y + stop.height / 2)
    await framed.close()
    expect(((await (await fetch(new URL('state', jig.url))).json()) as { control: string }).control).toBe('running')
    // Its own page, with the same policy, still works.
    await (await byRole(page, 'button', 'Stop')).click()
    expect(await jig.exited).toBe(0)
    await page.close()
  })

  it("shows the per-board sources of a provisioning station: the job and each board's own folder", async () => {
    const board = serial(41)
    const bench5 = await bench('provisioning', [board])
    await mkdir(join(bench5.root, 'boards', board), { recursive: true })
    await writeFile(join(bench5.root, 'boards', board, 'device.crt'), 'CERT\n')
    const jig = await startJig(
      [await dataFolder(), '--emulator', bench5.station, '--per-board', join(bench5.root, 'boards'), '--count', '1'],
      { FLASHDATA_EMULATOR_TIMING: 'instant' },
    )
    const page = await openPage(jig.url)
    await bench5.plug(board)
    expect(await boardItem(page, board, /flashed/)).toMatch(new RegExp(`overlay .*${board} \\(1 file\\)`))
    expect(await page.$eval('#job', (el) => el.textContent!)).toContain(
      `Per-board folders${join(bench5.root, 'boards')}`,
    )
    expect(await jig.exited).toBe(0)
    await page.close()
  })

  it('refuses a port in use before it touches any board', async () => {
    const board = serial(51)
    const bench6 = await bench('port-in-use', [], [board])
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as { port: number }).port
    const result = await runCli(['jig', await dataFolder(), '--emulator', bench6.station, '--ui', String(port)], {
      env: { FLASHDATA_EMULATOR_TIMING: 'instant' },
    })
    taken.close()
    expect(result.code).toBe(ExitCode.USAGE)
    expect(result.stderr).toContain(`Cannot serve the station page on 127.0.0.1:${port}: the port is in use.`)
    expect(result.stderr).toContain('--ui 0')
    expect((await stat(join(bench6.station, `${board}.bin`))).size).toBe(0) // never opened for a write
  })
})
