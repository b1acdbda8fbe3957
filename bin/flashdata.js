#!/usr/bin/env node
// Runs the CLI bundle (dist/bundle/flashdata.cjs, made by npm run build) with
// its compiled code cached between runs: Node's compile cache where Node has
// one (22.1+), else V8's code cache in a file beside the bundle, written when
// it is missing or no longer fits this Node (a read-only install just runs
// uncached).
import Module, { createRequire } from 'node:module'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'

const bundle = fileURLToPath(new URL('../dist/bundle/flashdata.cjs', import.meta.url))

function loadWithCodeCache() {
  const cacheFile = `${bundle}.cache`
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {}
  const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData })
  const module = { exports: {} }
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle))
  const saveCache = () => {
    if (cachedData && !script.cachedDataRejected) return
    try {
      // After the run, so that the functions the command compiled are in it too.
      writeFileSync(`${cacheFile}.${process.pid}`, script.createCachedData())
      renameSync(`${cacheFile}.${process.pid}`, cacheFile)
    } catch {}
  }
  return { cli: module.exports, saveCache }
}

let cli
let saveCache = () => {}
if (Module.enableCompileCache) {
  Module.enableCompileCache()
  cli = createRequire(import.meta.url)(bundle)
} else {
  ({ cli, saveCache } = loadWithCodeCache())
}
await cli.main()
saveCache()
