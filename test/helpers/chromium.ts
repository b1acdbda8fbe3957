// Headless Chromium for the pages' tests (Debian's chromium, or $CHROMIUM), and the page's controls found by role and accessible name.
import { createServer } from 'node:http'
import { join } from 'node:path'
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core'

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
/** Generous: two cores shared with other work, and datasheet timing. */
export const WAIT_MS = 90_000

/** One browser for a test file, its profile in `dir`. */
export function launchChromium(dir: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: WAIT_MS,
    protocolTimeout: WAIT_MS,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${join(dir, 'profile')}`,
    ],
  })
}

/** The element of this role and accessible name, waited for. */
export async function byRole(page: Page, role: string, name: string): Promise<ElementHandle<Element>> {
  const found = await page.waitForSelector(`::-p-aria([name="${name}"][role="${role}"])`, { timeout: WAIT_MS })
  return found!
}

/**
 * Opens, in a new tab, a page of another origin (a server of its own on localhost) that frames `target`: a
 * clickjacking page. The frame holds the framed page, or Chromium's error page when the frame was refused.
 */
export async function frameFromAnotherSite(browser: Browser, target: string) {
  const framer = createServer((_, response) =>
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        `<!doctype html><body style="margin:0"><iframe src="${target}" width="1280" height="900" style="border:0"></iframe>`,
      ),
  )
  await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve))
  const page = await browser.newPage()
  await page.setViewport({ width: 1280, height: 900 })
  // localhost on another port: another origin, and another site than 127.0.0.1. The frame fills the tab, so a point
  // of the framed page is where it is in a tab of its own.
  await page.goto(`http://localhost:${(framer.address() as { port: number }).port}/`, { waitUntil: 'load' })
  const frame = page.frames().find((f) => f !== page.mainFrame())!
  return {
    page,
    /** Whether the framed document has this element (it has not when the frame was refused). */
    has: (selector: string) => frame.evaluate((s) => document.querySelector(s) !== null, selector),
    /** Clicks the point (x, y) of the frame, where the framed page would have a button. */
    clickAt: async (x: number, y: number) => {
      const box = (await (await page.$('iframe'))!.boundingBox())!
      await page.mouse.click(box.x + x, box.y + y)
    },
    close: async () => {
      await page.close()
      framer.close()
    },
  }
}
