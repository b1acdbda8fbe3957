// The page in headless Chromium, in "Try without a board" mode: the emulated Electron runs in the page and the
// page writes, verifies and reads it with the CLI's jobs. Driven by role and accessible name.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, ElementHandle, Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { byRole, frameFromAnotherSite, launchChromium, WAIT_MS } from '../helpers/chromium.js'
import { CLI, REPO, runCli } from '../helpers/cli.js'
import { expectInSchema } from '../helpers/schema.js'

let server: ChildProcess
let browser: Browser
let page: Page
let url: string
let tmp: string

async function byName(role: string, name: string, on = page): Promise<ElementHandle<Element>> {
  // File inputs are buttons in the accessibility tree whose node puppeteer's aria query cannot return: match them by snapshot.
  if (role === 'file') {
    for (const input of await on.$$('input[type=file]'))
      if ((await on.accessibility.snapshot({ root: input, interestingOnly: false }))?.name === name) return input
    throw new Error(`no file input named ${name}`)
  }
  return byRole(on, role, name)
}

/** Waits until the page is idle again (its Write button is enabled or nothing is chosen) and returns the status text. */
async function statusAfter(action: () => Promise<unknown>, on = page): Promise<string> {
  await on.$eval('[role=status]', (el) => {
    el.textContent = ''
  })
  await action()
  await on.waitForFunction(
    () =>
      document.querySelector('[role=status]')!.textContent !== '' &&
      !(document.getElementById('connect') as HTMLButtonElement).disabled,
    { timeout: WAIT_MS },
  )
  return on.$eval('[role=status]', (el) => el.textContent ?? '')
}

const click = (name: string, on = page) => statusAfter(async () => (await byName('button', name, on)).click(), on)
const upload = (name: string, path: string, on = page) =>
  statusAfter(async () => ((await byName('file', name, on)) as ElementHandle<HTMLInputElement>).uploadFile(path), on)

/** Bytes behind a download link of the page. */
async function linkBytes(text: string): Promise<Buffer> {
  const values = await page.evaluate(async (label) => {
    const link = [...document.querySelectorAll('a')].find((a) => a.textContent === label)!
    return [...new Uint8Array(await (await fetch(link.href)).arrayBuffer())]
  }, text)
  return Buffer.from(values)
}

function folder(name: string, files: Record<string, string | Buffer>): string {
  const root = join(tmp, name)
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), data)
    utimesSync(join(root, path), 1_700_000_000, 1_700_000_000)
  }
  return root
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'flashdata-web-'))
  server = spawn(process.execPath, [CLI, 'web', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  url = await new Promise<string>((resolve, reject) => {
    server.stdout!.once('data', (line: Buffer) => {
      const printed = JSON.parse(line.toString())
      expectInSchema(printed, 'flashdata web --json')
      resolve(printed.url)
    })
    server.once('exit', (code) => reject(new Error(`flashdata web exited with ${code}`)))
  })
  browser = await launchChromium(tmp)
  page = await browser.newPage()
  await page.goto(url)
  await click('Try without a board')
}, 180_000)

afterAll(async () => {
  if (page) {
    // The guard of test/setup.ts cannot see a board inside the page: check its flash log here.
    const stray = await page.evaluate(() =>
      (
        globalThis as unknown as { flashdataEmulator: { flashLog: { address: number; length: number; op: string }[] } }
      ).flashdataEmulator.flashLog.filter((op) => op.address < 0x080a0000 || op.address + op.length > 0x080c0000),
    )
    expect(stray).toEqual([])
  }
  await browser?.close()
  server?.kill()
  rmSync(tmp, { recursive: true, force: true })
})

describe('the page, without a board', { timeout: 240_000 }, () => {
  it('packs a folder byte-identically to the CLI, writes it, and reads every file back', async () => {
    const files = {
      'index.html': '<h1>hello</h1>\n',
      'conf/settings.json': '{"a":1}\n',
      'certs/ca.pem': '-----BEGIN-----\n',
      '.DS_Store': 'junk',
    }
    const dir = folder('site', files)
    expect(await upload('Folder', dir)).toMatch(/site is ready|Ready to write site/)
    const written = await click('Write')
    expect(written).toMatch(/Wrote 3 files .* verified\.$/)
    expect(await click('Read')).toMatch(/^Read 3 files/)
    const cli = await runCli(['build', dir, '-o', join(tmp, 'site.bin')])
    expect(cli.code, cli.stderr).toBe(0)
    expect(await linkBytes('Download the image')).toEqual(readFileSync(join(tmp, 'site.bin')))
    for (const name of ['index.html', 'conf/settings.json', 'certs/ca.pem']) {
      expect((await linkBytes(`Download ${name}`)).toString(), name).toBe(files[name as keyof typeof files])
    }
  })

  it('writes an image file, then verifies the board against it', async () => {
    const dir = folder('other', { 'data.bin': Buffer.alloc(70_000, 7), 'notes.txt': 'notes\n' })
    const cli = await runCli(['build', dir, '-o', join(tmp, 'other.bin')])
    expect(cli.code, cli.stderr).toBe(0)
    await upload('Image file', join(tmp, 'other.bin'))
    expect(await click('Write')).toMatch(/Wrote 2 files \(70,\d+ bytes\) of other\.bin .* verified\.$/)
    expect(await click('Verify')).toMatch(/holds 2 files, the same as other\.bin: verified\.$/)
    expect(await click('Read')).toMatch(/^Read 2 files/)
    expect(await linkBytes('Download the image')).toEqual(readFileSync(join(tmp, 'other.bin')))
  })

  it('takes a .dfu file through the same checks as the CLI, and refuses a damaged one', async () => {
    const dir = folder('as-dfu', { 'data.bin': Buffer.alloc(70_000, 7), 'notes.txt': 'notes\n' })
    const cli = await runCli(['build', dir, '-o', join(tmp, 'other.dfu')])
    expect(cli.code, cli.stderr).toBe(0)
    await upload('Image file', join(tmp, 'other.dfu'))
    expect(await click('Verify')).toMatch(/holds 2 files, the same as other\.dfu: verified\.$/)
    const damaged = readFileSync(join(tmp, 'other.dfu'))
    damaged[1000] ^= 0xff
    writeFileSync(join(tmp, 'damaged.dfu'), damaged)
    expect(await upload('Image file', join(tmp, 'damaged.dfu'))).toMatch(
      /"damaged\.dfu" is not a \.dfu file flashdata accepts: the suffix CRC/,
    )
  })

  it('writes a .dfu file: the board then holds the image it wraps', async () => {
    const dir = folder('written-dfu', { 'config.json': '{"b":2}\n', 'blob.bin': Buffer.alloc(30_000, 9) })
    for (const out of ['written.dfu', 'written.bin']) {
      const cli = await runCli(['build', dir, '-o', join(tmp, out)])
      expect(cli.code, cli.stderr).toBe(0)
    }
    await upload('Image file', join(tmp, 'written.dfu'))
    expect(await click('Write')).toMatch(/^Wrote 2 files \(30,\d+ bytes\) of written\.dfu .* Read back and verified\.$/)
    expect(await click('Read')).toMatch(/^Read 2 files/)
    expect(await linkBytes('Download the image')).toEqual(readFileSync(join(tmp, 'written.bin')))
  })

  it('refuses a folder over 128 KiB with the numbers', async () => {
    const dir = folder('big', { 'a.bin': Buffer.alloc(100_000, 1), 'b.bin': Buffer.alloc(40_000, 2) })
    const status = await upload('Folder', dir)
    expect(status).toMatch(/would be 140,\d+ bytes, [\d,]+ bytes over the 131,072-byte sector/)
    expect(status).toContain('Take files out of the folder or shrink them to free at least')
    expect(await page.$eval('#write', (b) => (b as HTMLButtonElement).disabled)).toBe(true)
  })

  it('recovers from a failed write injected into the emulated board', async () => {
    const dir = folder('retry', { 'x.txt': 'after a failed write\n' })
    await upload('Folder', dir)
    await page.evaluate(() =>
      (
        globalThis as unknown as { flashdataEmulator: { faults: { failNextWrite(): void } } }
      ).flashdataEmulator.faults.failNextWrite(),
    )
    expect(await click('Write')).toMatch(/with one retry\. Read back and verified\.$/)
    expect(await click('Verify')).toMatch(/verified\.$/)
  })

  it('reports a cable pulled in the middle of a write with the next step, and the next Write succeeds', async () => {
    const dir = folder('pulled', { 'data.bin': Buffer.alloc(60_000, 3) })
    await upload('Folder', dir)
    await page.evaluate(() =>
      (
        globalThis as unknown as {
          flashdataEmulator: { faults: { disconnectDuring(op: string, o: { after: number }): void } }
        }
      ).flashdataEmulator.faults.disconnectDuring('write', { after: 2 }),
    )
    const failed = await click('Write')
    expect(failed).toMatch(
      /^Write failed: The board was disconnected: .*\. Check the cable, press Connect and try again; an interrupted write is found and fixed by the next Write\.$/,
    )
    expect(await page.$eval('[role=status]', (el) => el.classList.contains('error'))).toBe(true)
    await page.evaluate(() =>
      (globalThis as unknown as { flashdataEmulator: { plugIn(): void } }).flashdataEmulator.plugIn(),
    )
    expect(await click('Write')).toMatch(/^Wrote 1 file .* Read back and verified\.$/)
    expect(await click('Verify')).toMatch(/the same as pulled: verified\.$/)
  })

  it('tells a browser without WebUSB which browsers work', async () => {
    const other = await browser.newPage()
    await other.evaluateOnNewDocument(() => Object.defineProperty(Navigator.prototype, 'usb', { get: () => undefined }))
    await other.goto(url)
    await other.waitForFunction(() => document.querySelector('[role=status]')!.textContent !== '', { timeout: WAIT_MS })
    const status = await other.$eval('[role=status]', (el) => el.textContent)
    expect(status).toContain('no WebUSB')
    expect(status).toContain('Firefox and Safari do not support it')
    expect(status).toContain('Try without a board')
    await other.close()
  })
})

/** A Particle device as the stand-in navigator.usb lists it, with WebUSB's failures as Chromium words them: [DOMException name, message]. */
interface FakeDevice {
  productId: number
  serial: string
  openError?: [string, string]
  claimError?: [string, string]
}

/**
 * A page whose navigator.usb is a stand-in: these devices already permitted,
 * a chooser that is cancelled. The real WebUSB is driven over real USB in
 * the bench VM (test-usb/web.vm.js); these are the failures it cannot stage.
 */
async function pageWithUsb(devices: FakeDevice[]): Promise<Page> {
  const other = await browser.newPage()
  await other.evaluateOnNewDocument((specs: FakeDevice[]) => {
    const fail = ([name, message]: [string, string]) => Promise.reject(new DOMException(message, name))
    const usb = {
      devices: specs.map((spec) => ({
        vendorId: 0x2b04,
        productId: spec.productId,
        serialNumber: spec.serial,
        opened: false,
        configuration: { configurationValue: 1, interfaces: [] },
        configurations: [{ configurationValue: 1, interfaces: [] }],
        async open() {
          if (spec.openError) return fail(spec.openError)
          this.opened = true
        },
        async close() {
          this.opened = false
        },
        async selectConfiguration() {},
        async claimInterface() {
          if (spec.claimError) return fail(spec.claimError)
        },
        async releaseInterface() {},
        async selectAlternateInterface() {},
        controlTransferIn: () => fail(['NetworkError', 'A transfer error has occurred.']),
        controlTransferOut: () => fail(['NetworkError', 'A transfer error has occurred.']),
      })),
      async getDevices() {
        return this.devices
      },
      requestDevice: () => fail(['NotFoundError', "Failed to execute 'requestDevice' on 'USB': No device selected."]),
      addEventListener() {},
      removeEventListener() {},
    }
    Object.defineProperty(Navigator.prototype, 'usb', { get: () => usb })
  }, devices)
  await other.goto(url)
  await other.waitForFunction(() => document.querySelector('[role=status]')!.textContent !== '', { timeout: WAIT_MS })
  return other
}

const ELECTRON_DFU = 0xd00a
const SERIAL = 'e00fce68aabbccddeeff0011'

describe("the page's errors, each with the next step", { timeout: 240_000 }, () => {
  it("names a file too large for the sector with the CLI's message, before reading it", async () => {
    folder('huge', { 'big.bin': Buffer.alloc(140_000, 1), 'small.txt': 'small\n' })
    const cli = await runCli(['build', 'huge', '-o', 'huge.bin', '--json'], { cwd: tmp })
    expect(cli.code).toBe(3)
    const message = String(JSON.parse(cli.text.trim().split('\n').at(-1)!).message)
    expect(message).toBe(
      '"huge/big.bin" is 140,000 bytes, larger than the 131,072-byte sector: it cannot be stored in it.',
    )
    const status = await upload('Folder', join(tmp, 'huge'))
    expect(status).toContain(message)
    expect(status).toContain('Take the file out of the folder')

    writeFileSync(join(tmp, 'huge.img'), Buffer.alloc(140_000, 0xff))
    const inspect = await runCli(['inspect', 'huge.img', '--json'], { cwd: tmp })
    const imageMessage = String(JSON.parse(inspect.text.trim().split('\n').at(-1)!).message)
    expect(imageMessage).toBe(
      '"huge.img" is 140,000 bytes, larger than the 131,072-byte sector: it cannot be an image.',
    )
    expect(await upload('Image file', join(tmp, 'huge.img'))).toContain(imageMessage)

    writeFileSync(join(tmp, 'huge.dfu'), Buffer.alloc(140_000, 0xff))
    const dfu = await runCli(['inspect', 'huge.dfu', '--json'], { cwd: tmp })
    const dfuMessage = String(JSON.parse(dfu.text.trim().split('\n').at(-1)!).message)
    expect(dfuMessage).toMatch(
      /^"huge\.dfu" is 140,000 bytes, larger than the 131,072-byte sector: it cannot be a \.dfu file of it/,
    )
    expect(await upload('Image file', join(tmp, 'huge.dfu'))).toContain(dfuMessage)
  })

  it('tells Linux users without the udev rule how to allow access', async () => {
    const other = await pageWithUsb([
      {
        productId: ELECTRON_DFU,
        serial: SERIAL,
        openError: ['SecurityError', "Failed to execute 'open' on 'USBDevice': Access denied."],
      },
    ])
    const built = await runCli(['build', folder('small', { 'a.txt': 'a\n' }), '-o', join(tmp, 'small.bin')])
    expect(built.code, built.stderr).toBe(0)
    await upload('Image file', join(tmp, 'small.bin'), other)
    expect(await click('Connect', other)).toMatch(/^Ready to write small\.bin\./)
    const status = await click('Write', other)
    expect(status).toMatch(/^Write failed: .*Access denied\./)
    // The rule itself, as the package's udev/50-particle.rules has it: the page's users may have no flashdata to print it.
    const rule = readFileSync(join(REPO, 'udev/50-particle.rules'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith('SUBSYSTEM=='))!
    expect(status).toContain(`echo '${rule}' | sudo tee /etc/udev/rules.d/50-particle.rules`)
    expect(status).toContain('WinUSB')
    await other.close()
  })

  it('tells Windows users what holds the DFU interface or which driver it needs', async () => {
    const other = await pageWithUsb([
      {
        productId: ELECTRON_DFU,
        serial: SERIAL,
        claimError: ['NetworkError', "Failed to execute 'claimInterface' on 'USBDevice': Unable to claim interface."],
      },
    ])
    await click('Connect', other)
    const status = await click('Verify', other)
    expect(status).toMatch(/^Verify failed: .*Unable to claim interface\./)
    expect(status).toContain('Another program has the board open')
    expect(status).toContain('WinUSB driver (install it with Zadig)')
    await other.close()
  })

  it('says to check the cable and press Connect after a transfer error (WebUSB words a pulled cable so too)', async () => {
    const other = await pageWithUsb([{ productId: ELECTRON_DFU, serial: SERIAL }])
    await click('Connect', other)
    const status = await click('Read', other)
    expect(status).toMatch(
      /^Read failed: .*A transfer error has occurred\. Check the cable \(a short one, no unpowered hub\), press Connect and try again/,
    )
    await other.close()
  })

  it('names a board that is not an Electron, and why it is refused', async () => {
    const other = await pageWithUsb([{ productId: 0xd006, serial: SERIAL }])
    const status = await click('Connect', other)
    expect(status).toMatch(
      /^Connecting failed: The board e00fce68aabbccddeeff0011 is a Photon, not an Electron or E-Series: .*over-the-air/,
    )
    expect(status).toContain('Connect an Electron or E-Series board')
    await other.close()
  })

  it('tells what to do with a board that holds data flashdata did not write, without a command-line option', async () => {
    const dir = folder('foreign', { 'a.txt': 'mine\n' })
    await upload('Folder', dir)
    // A fresh board from another page: the demo board of this one already holds what earlier tests wrote.
    const other = await browser.newPage()
    await other.goto(url)
    await click('Try without a board', other)
    await upload('Folder', dir, other)
    await other.evaluate(() =>
      (
        globalThis as unknown as { flashdataEmulator: { programFlash(address: number, bytes: Uint8Array): void } }
      ).flashdataEmulator.programFlash(
        0x080a0000,
        new Uint8Array(4096).map((_, i) => (i * 7) & 0x7f),
      ),
    )
    const status = await click('Write', other)
    expect(status).toMatch(
      /^Write failed: The board \w+ holds data that is neither a flashdata image nor a Particle firmware module in its data sector; nothing was erased\./,
    )
    expect(status).toContain('Press Read to save a copy of the sector')
    expect(status).not.toMatch(/--|flashdata (push|jig|build|pull)/)
    const sector = await other.evaluate(() =>
      Array.from(
        (
          globalThis as unknown as { flashdataEmulator: { readFlash(a: number, n: number): Uint8Array } }
        ).flashdataEmulator.readFlash(0x080a0000, 8),
      ),
    )
    expect(sector).toEqual([0, 7, 14, 21, 28, 35, 42, 49])
    await other.close()
  })

  it('says what to check when no board was chosen', async () => {
    const other = await pageWithUsb([])
    const status = await click('Connect', other)
    expect(status).toMatch(/^Connecting failed: The browser has no permission for a board yet\. No board was chosen\./)
    expect(status).toContain('udev')
    expect(status).toContain('WinUSB')
    await other.close()
  })
})

describe('the page and other sites', () => {
  it('cannot be framed by a page on another origin: Chromium refuses the frame', async () => {
    const framed = await frameFromAnotherSite(browser, url)
    expect(await framed.has('#connect')).toBe(false)
    await framed.close()
  })
})
