#!/usr/bin/env node
// The main job on the bundled example folder: pack it into an image and list
// the result. Run with `npm run demo` (which builds dist/ first).
import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const cli = fileURLToPath(new URL('../bin/flashdata.js', import.meta.url))
const image = join(mkdtempSync(join(tmpdir(), 'flashdata-demo-')), 'data.bin')

for (const args of [['build', 'examples/data', '-o', image], ['inspect', image]]) {
  console.log(`$ flashdata ${args.join(' ')}`)
  const { status } = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: fileURLToPath(new URL('..', import.meta.url)) })
  if (status !== 0) process.exit(status ?? 1)
}
