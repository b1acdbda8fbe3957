#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports, dependencies
// included) into dist/bundle/flashdata.js, which bin/flashdata.js runs: one
// file to read at start-up instead of a hundred. The library (dist/index.js)
// stays tsc's output. The `usb` package stays external: it loads a native
// addon from its own folder.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outfile = `${root}dist/bundle/flashdata.js`
rmSync(`${root}dist/bundle`, { recursive: true, force: true })
await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['usb'],
  // Bundled CommonJS dependencies (commander, mime-types) call require() for Node built-ins.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
})
