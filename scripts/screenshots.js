#!/usr/bin/env node
// Screenshots of the page in its main states, with "Try without a board":
// files chosen (listing and sector picture), writing (progress), verified,
// and an error (the cable pulled in the middle of a write). Rerunnable.
// npm run screenshots (with station-screenshot.js), or after `npm run build`:
// node scripts/screenshots.js [--out DIR] (default .cache/screenshots;
// docs/page-writing.png and docs/page-verified.png are 2-writing and 3-verified).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import puppeteer from 'puppeteer-core'

const { values: args } = parseArgs({ options: { out: { type: 'string', default: '.cache/screenshots' } } })
const CLI = new URL('../bin/flashdata.js', import.meta.url).pathname
const EXAMPLE = new URL('../examples/data', import.meta.url).pathname
const WAIT_MS = 180_000
mkdirSync(args.out, { recursive: true })
// The example folder and a few larger files, so the sector picture and the progress have something to show.
const work = mkdtempSync(join(tmpdir(), 'flashdata-screenshots-'))
const folder = join(work, 'field-kit')
cpSync(EXAMPLE, folder, { recursive: true })
mkdirSync(join(folder, 'maps'))
writeFileSync(join(folder, 'maps/site-a.bin'), randomBytes(46_000))
writeFileSync(join(folder, 'maps/site-b.bin'), randomBytes(21_000))
writeFileSync(join(folder, 'sounds/alarm.wav'), randomBytes(17_500))
writeFileSync(join(folder, 'config.json'), '{ "interval": 600, "apn": "spark.telefonica.com" }\n')

const server = spawn(process.execPath, [CLI, 'web', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve) =>
  server.stdout.once('data', (line) => resolve(JSON.parse(line.toString()).url)),
)
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  timeout: WAIT_MS,
  protocolTimeout: WAIT_MS,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--hide-scrollbars'],
  defaultViewport: { width: 900, height: 1000, deviceScaleFactor: 1 },
})
try {
  const page = await browser.newPage()
  page.setDefaultTimeout(WAIT_MS)
  await page.goto(url)
  const shot = async (name) => {
    const path = join(args.out, `${name}.png`)
    await page.screenshot({ path, fullPage: true })
    console.log(path)
  }
  const idle = () =>
    page.waitForFunction(
      () =>
        !(/** @type {HTMLButtonElement} */ (document.getElementById('connect')).disabled) &&
        document.getElementById('status').textContent !== '',
      { polling: 50 },
    )

  await page.click('#try')
  await (await page.$('input#folder')).uploadFile(folder)
  await page.waitForFunction(() => document.querySelector('#listing table'))
  await shot('1-chosen')

  await page.click('#write')
  await page.waitForFunction(
    () =>
      /^Writing: /.test(document.getElementById('phase').textContent) &&
      /** @type {HTMLProgressElement} */ (document.getElementById('progress')).value >= 0.4,
    { polling: 20 },
  )
  await shot('2-writing')
  await idle()
  await shot('3-verified')

  // A changed file, and the cable pulled during the fourth block write.
  writeFileSync(join(folder, 'config.json'), '{ "interval": 300, "apn": "spark.telefonica.com" }\n')
  await (await page.$('input#folder')).uploadFile(folder)
  await page.waitForFunction(() => !(/** @type {HTMLButtonElement} */ (document.getElementById('write')).disabled))
  await page.evaluate(() => globalThis.flashdataEmulator.faults.disconnectDuring('write', { after: 3 }))
  await page.$eval('#status', (el) => {
    el.textContent = ''
  })
  await page.click('#write')
  await idle()
  await shot('4-error')
} finally {
  await browser.close()
  server.kill()
  rmSync(work, { recursive: true, force: true })
}
