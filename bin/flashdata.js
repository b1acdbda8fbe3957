#!/usr/bin/env node
// Runs the CLI bundle (dist/bundle/flashdata.cjs, made by npm run build) with
// its compiled code cached between runs: Node's compile cache where Node has
// one (22.1+), else V8's code cache in a file beside the bundle, written when
// it is missing or no longer fits this Node (a read-only install just runs
// uncached). CommonJS (bin/package.json), so that starting needs neither
// Node's ES module loader nor ES module wrappers of the built-ins.
'use strict'
const Module = require('node:module')
const { readFileSync, renameSync, writeFileSync } = require('node:fs')
const { dirname, join } = require('node:path')
const { Script } = require('node:vm')

const bundle = join(__dirname, '../dist/bundle/flashdata.cjs')

function loadWithCodeCache() {
  const cacheFile = `${bundle}.cache`
  let cachedData
  try {
    cachedData = readFileSync(cacheFile)
  } catch {}
  const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData })
  const module = { exports: {} }
  script.runInThisContext()(module.exports, Module.createRequire(bundle), module, bundle, dirname(bundle))
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

// enableCompileCache is Node 22.1+; @types/node follows Node 20, the oldest line engines names.
const nodeModule = /** @type {typeof Module & { enableCompileCache?: () => void }} */ (Module)
let cli
let saveCache = () => {}
if (nodeModule.enableCompileCache) {
  nodeModule.enableCompileCache()
  cli = require(bundle)
} else {
  ;({ cli, saveCache } = loadWithCodeCache())
}
cli.main().then(saveCache).then(cli.exit)
