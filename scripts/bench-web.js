#!/usr/bin/env node
// The page against the CLI: the same 128 KiB push onto the same emulated
// Electron (datasheet timing, in DFU mode, the sector holding another image),
// once by `flashdata push --emulator` (its job time, from --json) and once by
// the page's Write in headless Chromium with "Try without a board" (its job
// time, from its status line). Prints the figures; asserts nothing.
// npm run bench:web [-- --runs N], or after `npm run build`: node scripts/bench-web.js
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import puppeteer from 'puppeteer-core'
import { makeImage, summarize } from './bench/lib.js'

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } })
const runs = Number(args.runs)
const CLI = new URL('../bin/flashdata.js', import.meta.url).pathname
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const SIZE = 131072
const WAIT_MS = 180_000
const dir = mkdtempSync(join(tmpdir(), 'flashdata-bench-web-'))
// Two images, written in turn, so every push finds other data and writes.
const images = [1, 2].map((seed) => {
  const path = join(dir, `image${seed}.bin`)
  writeFileSync(path, makeImage(SIZE, seed))
  return path
})
const log = (message) => process.stderr.write(`${message}\n`)

function cli(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`flashdata ${args.join(' ')}: exit ${code}\n${out}`)),
    )
  })
}

const phasesText = (phases) =>
  Object.entries(phases)
    .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(2)} s`)
    .join(', ')

/** The CLI's board, holding the other image; returns one timed push of image i % 2. */
async function cliBoard() {
  const flash = join(dir, 'cli-board.bin')
  writeFileSync(flash, '')
  const env = { FLASHDATA_EMULATOR_MODE: 'dfu', FLASHDATA_EMULATOR_TIMING: 'datasheet' }
  await cli(['push', images[1], '--emulator', flash, '--json', '--force'], env)
  return async (i) => {
    const out = await cli(['push', images[i % 2], '--emulator', flash, '--json'], env)
    const result = JSON.parse(out.trim().split('\n').at(-1))
    if (result.status !== 'flashed') throw new Error(`CLI push: ${result.status}`)
    return { ms: result.totalMs, phases: phasesText(result.phases) }
  }
}

/** The page's board, holding the other image; returns one timed Write of image i % 2, and close. */
async function pageBoard() {
  const server = spawn(process.execPath, [CLI, 'web', '--port', '0', '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise((resolve) =>
    server.stdout.once('data', (line) => resolve(JSON.parse(line.toString()).url)),
  )
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: WAIT_MS,
    protocolTimeout: WAIT_MS,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`],
  })
  const close = async () => {
    await browser.close()
    server.kill()
  }
  try {
    const page = await browser.newPage()
    page.setDefaultTimeout(WAIT_MS)
    await page.goto(url)
    await page.click('#try')
    const idle = () =>
      page.waitForFunction(
        () =>
          document.getElementById('status').textContent !== '' &&
          !(/** @type {HTMLButtonElement} */ (document.getElementById('connect')).disabled),
        { polling: 50 },
      )
    const write = async (path) => {
      await (await page.$('input#image')).uploadFile(path)
      await page.waitForFunction(() => !(/** @type {HTMLButtonElement} */ (document.getElementById('write')).disabled))
      await page.$eval('#status', (el) => {
        el.textContent = ''
      })
      await page.click('#write')
      await idle()
      return page.$eval('#status', (el) => el.textContent)
    }
    // The emulated board starts running firmware: power it up in DFU mode, as the CLI's board is.
    // Waits until it is on the bus again, as the CLI's board is when the push starts.
    const intoDfu = async () => {
      await page.evaluate(() => {
        globalThis.flashdataEmulator.unplug()
        globalThis.flashdataEmulator.plugIn({ mode: 'dfu' })
      })
      await page.waitForFunction(() => globalThis.flashdataEmulator.device !== null, { polling: 20 })
    }
    await write(images[1])
    const once = async (i) => {
      await intoDfu()
      const status = await write(images[i % 2])
      const match = /in (\d+\.\d) s \(([^)]*)\)\. Read back and verified\.$/.exec(status)
      if (!match) throw new Error(`page Write: ${status}`)
      return { ms: Number(match[1]) * 1000, phases: match[2] }
    }
    return { once, close }
  } catch (error) {
    await close()
    throw error
  }
}

log(`bench-web: ${runs} pushes of a ${SIZE}-byte image each way (emulated Electron, datasheet timing, in DFU mode)`)
const page = await pageBoard()
try {
  const cliOnce = await cliBoard()
  // In turns, so both see the same load on a shared machine.
  const c = []
  const p = []
  for (let i = 0; i < runs; i++) {
    c.push(await cliOnce(i))
    p.push(await page.once(i))
  }
  const cs = summarize(c.map((r) => r.ms))
  const ps = summarize(p.map((r) => r.ms))
  const typical = (list, median) =>
    list.reduce((best, r) => (Math.abs(r.ms - median) < Math.abs(best.ms - median) ? r : best)).phases
  console.log(
    `CLI  (flashdata push --emulator, job time):   median ${(cs.median / 1000).toFixed(2)} s  (min ${(cs.min / 1000).toFixed(2)}, max ${(cs.max / 1000).toFixed(2)}, n ${cs.n})  ${typical(c, cs.median)}`,
  )
  console.log(
    `page (Write, "Try without a board", job time): median ${(ps.median / 1000).toFixed(2)} s  (min ${(ps.min / 1000).toFixed(2)}, max ${(ps.max / 1000).toFixed(2)}, n ${ps.n})  ${typical(p, ps.median)}`,
  )
  console.log(
    `page / CLI: ${(ps.median / cs.median).toFixed(3)}x of the medians, ${(ps.min / cs.min).toFixed(3)}x of the best runs (the page's figures are rounded to 0.1 s by its status line)`,
  )
} finally {
  await page.close()
  rmSync(dir, { recursive: true, force: true })
}
