// The browser entry and the core it uses bundle for platform browser without any Node built-in.
import { describe, expect, it } from 'vitest'
// @ts-expect-error plain JavaScript build script
import { bundleForBrowser } from '../../scripts/build-web.js'

describe('browser bundle', () => {
  for (const entry of [
    'src/web/main.ts',
    'src/station/page/main.ts',
    'src/image/index.ts',
    'src/dfu/index.ts',
    'src/jobs/index.ts',
    'src/emulator/electron.ts',
    'src/emulator/bus.ts',
  ]) {
    it(`${entry} bundles for the browser with no Node import`, async () => {
      const text: string = await bundleForBrowser(entry, { minify: false })
      expect(text.length).toBeGreaterThan(0)
    })
  }

  it('fails on a Node built-in, naming it and its importer', async () => {
    await expect(bundleForBrowser('src/emulator/index.ts', { minify: false })).rejects.toThrow(
      /node:fs \(imported by src\/emulator\/flash-file\.ts\)/,
    )
  })
})
