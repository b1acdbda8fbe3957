#!/usr/bin/env node
// Takes docs/station.png: a jig with --ui on an emulated bench of eight named
// slots (datasheet timing), photographed in headless Chromium while boards are
// in progress, after others were flashed, a Photon was refused and a board was
// unplugged mid-write. Run after `npm run build`:  node scripts/station-screenshot.js
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import puppeteer from 'puppeteer-core'

const root = fileURLToPath(new URL('..', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'flashdata-screenshot-'))
const station = join(dir, 'station')
const desk = join(dir, 'desk')
await mkdir(station)
await mkdir(desk)
const serial = (n) => `e00fce68${String(n).padStart(16, '0')}`
const names = [serial(1), serial(2), `photon-${serial(3)}`, serial(4), serial(5), serial(6), serial(7), serial(8)]
const slots = Object.fromEntries(names.map((name, i) => [join(station, `${name}.bin`), 'ABCDEFGH'[i]]))
await writeFile(join(dir, 'slots.json'), JSON.stringify(slots))
for (const name of names) await writeFile(join(desk, `${name}.bin`), '')
const plug = (name) => rename(join(desk, `${name}.bin`), join(station, `${name}.bin`))
const unplug = (name) => rename(join(station, `${name}.bin`), join(desk, `${name}.bin`))
for (const name of names.slice(0, 4)) await plug(name)
// The product's data: long enough to write that a board can be seen writing (and unplugged doing it).
const data = join(dir, 'data')
await mkdir(join(data, 'certs'), { recursive: true })
await writeFile(join(data, 'ui-assets.bin'), Buffer.alloc(96_000, 0x5a))
await writeFile(join(data, 'config.json'), '{"apn":"iot.example","interval":300}\n')
await writeFile(
  join(data, 'certs/ca.pem'),
  `-----BEGIN CERTIFICATE-----\n${'A'.repeat(1200)}\n-----END CERTIFICATE-----\n`,
)

const jig = spawn(
  process.execPath,
  [
    join(root, 'bin/flashdata.js'),
    'jig',
    data,
    '--emulator',
    station,
    '--slots',
    join(dir, 'slots.json'),
    '--station',
    'bench-2',
    '--ui',
    '0',
    '--quiet',
  ],
  { env: { ...process.env, FLASHDATA_EMULATOR_TIMING: 'datasheet' }, stdio: ['ignore', 'ignore', 'pipe'] },
)
const url = await new Promise((resolve, reject) => {
  let err = ''
  jig.stderr.on('data', (chunk) => {
    err += chunk
    const found = /Station page: (\S+)/.exec(err)
    if (found) resolve(found[1])
  })
  jig.once('close', () => reject(new Error(`the jig ended early:\n${err}`)))
})
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', `--user-data-dir=${join(dir, 'profile')}`],
})
try {
  const page = await browser.newPage()
  await page.setViewport({ width: 1280, height: 960, deviceScaleFactor: 1 })
  await page.goto(url)
  const tile = (slot, pattern) =>
    page.waitForFunction(
      (s, p) =>
        [...document.querySelectorAll('#tiles article')].some((t) =>
          new RegExp(`^Slot ${s}: ${p}`).test(t.getAttribute('aria-label')),
        ),
      { timeout: 120_000 },
      slot,
      pattern,
    )
  await tile('D', 'flashed')
  await plug(names[4])
  await tile('E', 'Writing')
  await unplug(names[4])
  await tile('E', 'failed')
  await plug(names[5])
  await plug(names[6])
  await tile('G', '(Erasing|Writing)')
  await new Promise((resolve) => setTimeout(resolve, 300)) // one drawing after the last event
  await page.screenshot({ path: join(root, 'docs/station.png'), fullPage: true })
  process.stderr.write('wrote docs/station.png\n')
} finally {
  await browser.close()
  jig.kill('SIGINT')
  jig.kill('SIGTERM')
  await new Promise((resolve) => jig.once('close', resolve))
  await rm(dir, { recursive: true, force: true })
}
