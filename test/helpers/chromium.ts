// Headless Chromium for the pages' tests (Debian's chromium, or $CHROMIUM), and the page's controls found by role and accessible name.
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
