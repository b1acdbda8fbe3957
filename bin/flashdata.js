#!/usr/bin/env node
import module from 'node:module'

// Node 22.1+ keeps compiled code between runs; older Node has no such cache.
module.enableCompileCache?.()
const { main } = await import('../dist/bundle/flashdata.js')
await main()
