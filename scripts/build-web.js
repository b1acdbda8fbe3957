#!/usr/bin/env node
// Bundles the pages for browsers: the web flasher (src/web/main.ts) into
// dist/web/, static files that can be served from anywhere, and the station
// page (src/station/page/main.ts) into dist/station-page/, which the jig's
// --ui server serves; each beside its index.html and the style both share
// (src/ui/style.css).
import { copyFileSync, mkdirSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

/**
 * Bundles `entry` for platform browser; resolves to the bundle's text. A Node
 * built-in anywhere in its imports fails the bundle, naming the importer, so
 * no Node code can reach the page.
 * @param {string} entry
 * @param {{ outfile?: string, minify?: boolean }} [options]
 */
export async function bundleForBrowser(entry, { outfile, minify = true } = {}) {
  const found = []
  const refuseNode = {
    name: 'refuse-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!NODE_BUILTINS.has(args.path)) return undefined
        found.push(`${args.path} (imported by ${args.importer.slice(root.length)})`)
        return { path: args.path, external: true }
      })
    },
  }
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify,
    write: outfile !== undefined,
    outfile,
    absWorkingDir: root,
    plugins: [refuseNode],
    logLevel: 'silent',
    legalComments: 'none',
  })
  if (found.length) throw new Error(`Node built-ins in the browser bundle of ${entry}: ${found.join(', ')}`)
  return outfile ? undefined : result.outputFiles[0].text
}

/** The two pages: the web flasher (static, served anywhere) and the station page (served by flashdata jig --ui). */
const PAGES = [
  { source: 'src/web', out: 'dist/web' },
  { source: 'src/station/page', out: 'dist/station-page' },
]

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { source, out } of PAGES) {
    mkdirSync(`${root}${out}`, { recursive: true })
    await bundleForBrowser(`${source}/main.ts`, { outfile: `${root}${out}/main.js` })
    copyFileSync(`${root}${source}/index.html`, `${root}${out}/index.html`)
    copyFileSync(`${root}src/ui/style.css`, `${root}${out}/ui.css`)
  }
}
