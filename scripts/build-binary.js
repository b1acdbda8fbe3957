#!/usr/bin/env node
// Builds the standalone executable dist/flashdata-<platform>-<arch> (.exe on
// Windows) with Node's single-executable-application support: the running
// Node binary, with the CLI bundled into its main script (V8 code cache
// included) and, as assets, the files the CLI reads at run time: the usb
// package and its native addon, package.json, the udev rule and the two
// pages. At its first start the executable writes them into a private cache
// folder named by their hash (runtime.cjs) and runs from there, so the addon
// loads as it does from node_modules. Run `npm run build` first (the pages).
// Node's SEA documentation: https://nodejs.org/api/single-executable-applications.html
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const work = join(root, 'dist/binary')
const require = createRequire(import.meta.url)

const exe = process.platform === 'win32' ? '.exe' : ''
const output = join(root, 'dist', `flashdata-${process.platform}-${process.arch}${exe}`)

/** Every file below `dir`, as paths relative to the package root. */
const filesUnder = (dir) =>
  readdirSync(join(root, dir), { recursive: true })
    .map((name) => join(dir, name))
    .filter((path) => statSync(join(root, path)).isFile())

// The run-time tree: what the CLI opens by path from its own place (see
// src/cli/version.ts, udev-rule.ts, serve-web.ts, station/server.ts and
// device/system-usb.ts), laid out as in the package.
const usbRoot = dirname(require.resolve('usb/package.json'))
const addons = readdirSync(join(usbRoot, '../@node-usb')).map((name) => `node_modules/@node-usb/${name}`)
const tree = [
  'package.json',
  'udev/50-particle.rules',
  ...filesUnder('dist/web'),
  ...filesUnder('dist/station-page'),
  'node_modules/usb/package.json',
  'node_modules/usb/index.js',
  ...filesUnder('node_modules/usb/dist').filter((path) => path.endsWith('.js')),
  ...addons.flatMap((dir) => filesUnder(dir).filter((path) => path.endsWith('.json') || path.endsWith('.node'))),
]
const hash = createHash('sha256')
for (const path of tree) hash.update(`${path}\0`).update(readFileSync(join(root, path)))
const manifest = { hash: hash.digest('hex').slice(0, 16), files: tree.map((path) => path.split('\\').join('/')) }

rmSync(work, { recursive: true, force: true })
mkdirSync(work, { recursive: true })
writeFileSync(join(work, 'manifest.json'), JSON.stringify(manifest))

// The CLI bundle as scripts/bundle.js makes it, except that the module's own
// place is the unpacked tree (runtime.cjs returns its URL) and the script
// runs main() itself.
const runtime = readFileSync(join(root, 'scripts/binary/runtime.cjs'), 'utf8')
await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(work, 'flashdata.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['usb'],
  minify: true,
  keepNames: true,
  define: { 'import.meta.url': '__bundleUrl' },
  banner: {
    js: `const __bundleUrl = (() => { const module = { exports: {} }; ${runtime}; return module.exports.unpack() })();`,
  },
  footer: { js: 'module.exports.main();' },
  legalComments: 'none',
  logLevel: 'warning',
})

const config = {
  main: join(work, 'flashdata.cjs'),
  output: join(work, 'sea.blob'),
  disableExperimentalSEAWarning: true,
  useCodeCache: true,
  assets: Object.fromEntries([
    ['manifest.json', join(work, 'manifest.json')],
    ...tree.map((path) => [path.split('\\').join('/'), join(root, path)]),
  ]),
}
writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2))
execFileSync(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: 'inherit' })

rmSync(output, { force: true })
copyFileSync(process.execPath, output)
chmodSync(output, 0o755)
if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', output])
const { inject } = require('postject')
await inject(output, 'NODE_SEA_BLOB', readFileSync(config.output), {
  sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
})
if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', output])
console.log(
  `${relative(root, output)}: ${(statSync(output).size / 1048576).toFixed(1)} MiB, Node ${process.versions.node}, runtime files ${manifest.hash}`,
)
