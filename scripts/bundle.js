#!/usr/bin/env node
// Bundles the CLI (src/cli/main.ts and everything it imports, dependencies
// included) into one CommonJS file, dist/bundle/flashdata.cjs, which
// bin/flashdata.js runs: one file to read and compile at start-up instead of
// a hundred, and one script V8 can cache compiled. The library (dist/index.js)
// stays tsc's output. Left out, loaded from node_modules when used: `usb` (it
// loads a native addon from its own folder) and `mime-types` (its database is
// a third of the bundle, and only packing a folder needs it). Minified, names
// kept: the bundle is read in full at every start. Then runs the CLI once so
// bin/ writes the code cache.
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * commander loads child_process (and with it net, dgram and the streams) at
 * start-up, only to run executable subcommands, which flashdata has none of:
 * it gets child_process on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace: 'lazy' } : undefined,
    )
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] })",
      loader: 'js',
    }))
  },
}

rmSync(`${root}dist/bundle`, { recursive: true, force: true })
await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outfile: `${root}dist/bundle/flashdata.cjs`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['usb', 'mime-types'],
  minify: true,
  keepNames: true,
  plugins: [lazyChildProcess],
  // bin/ runs the bundle through vm.Script on Node 20, which has no loader for
  // import(): every dynamic import (of a Node built-in too) becomes a require.
  supported: { 'dynamic-import': false },
  // main.ts finds package.json from its own URL.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
})
const leftover = readFileSync(`${root}dist/bundle/flashdata.cjs`, 'utf8').match(/\bimport\([^)]{0,40}/)
if (leftover)
  throw new Error(
    `dist/bundle/flashdata.cjs still has a dynamic import, which Node 20 cannot run there: ${leftover[0]}`,
  )
execFileSync(process.execPath, [`${root}bin/flashdata.js`, '--version'], { stdio: 'ignore' })
