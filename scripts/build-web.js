#!/usr/bin/env node
// Bundles the page (src/web/main.ts) for browsers into dist/web/, beside its
// index.html and the style it shares with the station page (src/ui/style.css):
// static files that can be served from anywhere.
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
    entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', minify, write: outfile !== undefined,
    outfile, absWorkingDir: root, plugins: [refuseNode], logLevel: 'silent', legalComments: 'none',
  })
  if (found.length) throw new Error(`Node built-ins in the browser bundle of ${entry}: ${found.join(', ')}`)
  return outfile ? undefined : result.outputFiles[0].text
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(`${root}dist/web`, { recursive: true })
  await bundleForBrowser('src/web/main.ts', { outfile: `${root}dist/web/main.js` })
  copyFileSync(`${root}src/web/index.html`, `${root}dist/web/index.html`)
  copyFileSync(`${root}src/ui/style.css`, `${root}dist/web/ui.css`)
}
