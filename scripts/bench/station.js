#!/usr/bin/env node
// The station page's cost: the jig with `count` factory-fresh boards
// (datasheet timing), without the page and with it open: the page's server
// fed every event (as flashdata jig --ui does) and a page reading the stream,
// headless Chromium when it is installed, else a plain stream reader. Runs
// alternate (without, with, ...) so the machine's load falls on both alike.
// Alone, after `npm run build`:  node scripts/bench/station.js [--runs N]
import { get } from 'node:http'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { runJig } from '../../dist/index.js'
import { serveStation } from '../../dist/station/server.js'
import { Station } from '../../dist/station/station.js'
import { freshBoards, makeImage, summarize } from './lib.js'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'

/** A page reading the station's stream: Chromium showing it, or a reader of the raw stream. */
async function openReader(url) {
  if (existsSync(CHROMIUM)) {
    const { default: puppeteer } = await import('puppeteer-core')
    const profile = mkdtempSync(join(tmpdir(), 'flashdata-bench-page-'))
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`],
    })
    const page = await browser.newPage()
    await page.goto(url)
    await page.waitForFunction(() => document.getElementById('link').textContent === 'Live')
    return {
      kind: 'headless Chromium',
      close: async () => {
        await browser.close()
        rmSync(profile, { recursive: true, force: true })
      },
    }
  }
  const request = await new Promise((resolve) => {
    const r = get(`${url}events`, (response) => {
      response.resume()
      resolve(r)
    })
  })
  return { kind: 'a stream reader (no Chromium at $CHROMIUM)', close: async () => request.destroy() }
}

/** One jig run, its wall time and this process's CPU time; with `station`, every event goes to it, as in flashdata jig --ui. */
async function once(image, count, station) {
  const { bus, close } = freshBoards(count)
  try {
    const start = performance.now()
    const cpu = process.cpuUsage()
    const summary = await runJig({
      bus,
      image,
      count,
      paused: station?.paused,
      onEvent: station ? (event) => station.publish(event) : undefined,
    })
    const ms = performance.now() - start
    const used = process.cpuUsage(cpu)
    if (summary.flashed !== count) throw new Error(`jig: ${summary.flashed} of ${count} boards flashed`)
    return { ms, cpuMs: (used.user + used.system) / 1000 }
  } finally {
    close()
  }
}

/** Median jig times without and with the page open, and their ratio. */
export async function stationPage(image, count, runs) {
  const station = new Station({ station: 'bench' }, () => {})
  const server = await serveStation(station, { host: '127.0.0.1', port: 0, exposed: false })
  const reader = await openReader(server.url)
  const without = []
  const withPage = []
  try {
    for (let i = 0; i < runs; i++) {
      without.push(await once(image, count, undefined))
      withPage.push(await once(image, count, station))
    }
  } finally {
    await reader.close()
    await server.close()
  }
  const a = summarize(without.map((r) => r.ms))
  const b = summarize(withPage.map((r) => r.ms))
  const cpu = {
    without: summarize(without.map((r) => r.cpuMs)).median,
    withPage: summarize(withPage.map((r) => r.cpuMs)).median,
  }
  return {
    without: a,
    withPage: b,
    ratio: Math.round((b.median / a.median) * 1000) / 1000,
    cpuMs: cpu,
    reader: reader.kind,
    droppedPages: server.pages().dropped,
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
  })
  const runs = Number(values.runs)
  const boards = 8
  const r = await stationPage(makeImage(131072), boards, runs)
  if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
  else {
    const perHour = (ms) => Math.round((boards * 3_600_000) / ms).toLocaleString('en-US')
    console.log(
      `jig, ${boards} boards of 128 KiB at once, datasheet timing; ms, median of ${runs} alternating runs (min-max):`,
    )
    console.log(
      `  without the page      ${Math.round(r.without.median)}  (${Math.round(r.without.min)}-${Math.round(r.without.max)})  ${perHour(r.without.median)} boards/hour`,
    )
    console.log(
      `  with the page open    ${Math.round(r.withPage.median)}  (${Math.round(r.withPage.min)}-${Math.round(r.withPage.max)})  ${perHour(r.withPage.median)} boards/hour`,
    )
    console.log(
      `  with / without        ${r.ratio}  (limit 1.02; the page: ${r.reader}; pages dropped: ${r.droppedPages})`,
    )
    console.log(
      `  the jig's CPU time    ${Math.round(r.cpuMs.without)} ms without, ${Math.round(r.cpuMs.withPage)} ms with the page (median per run)`,
    )
  }
}
