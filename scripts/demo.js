#!/usr/bin/env node
// The main job on the bundled example folder, with no hardware: push it onto
// an emulated Electron (flash kept in .cache/demo/electron.bin, datasheet
// timing), then verify it. Run with `npm run demo` (which builds dist/ first).
import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const cli = fileURLToPath(new URL('../bin/flashdata.js', import.meta.url))
mkdirSync(new URL('../.cache/demo', import.meta.url), { recursive: true })
const board = '.cache/demo/electron.bin'

for (const args of [
  ['push', 'examples/data', '--emulator', board],
  ['verify', 'examples/data', '--emulator', board],
]) {
  console.log(`\n$ flashdata ${args.join(' ')}`)
  const { status } = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root })
  if (status !== 0) process.exit(status ?? 1)
}
