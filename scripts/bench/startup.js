// CLI start-up: wall time of whole `node bin/flashdata.js ...` child processes.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { summarize } from './lib.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cli = join(root, 'bin/flashdata.js')

function timeProcess(args) {
  const start = performance.now()
  const { status, stderr } = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
  const ms = performance.now() - start
  if (status !== 0) throw new Error(`node ${args.join(' ')} exited ${status}: ${stderr}`)
  return ms
}

/** Each command `runs` times, taking turns, so that a change in the machine's load weighs on all of them alike. */
function timeInTurns(runs, commands) {
  for (const args of Object.values(commands)) timeProcess(args) // warms the file-system cache; not counted
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]))
  for (let i = 0; i < runs; i++)
    for (const [name, args] of Object.entries(commands)) times[name].push(timeProcess(args))
  return Object.fromEntries(Object.entries(times).map(([name, ms]) => [name, summarize(ms)]))
}

/** `flashdata --version`, `flashdata build examples/data -o <tmp>`, and bare `node` for reference. */
export function startup(runs) {
  const dir = mkdtempSync(join(tmpdir(), 'flashdata-bench-'))
  try {
    return timeInTurns(runs, {
      version: [cli, '--version'],
      build: [cli, 'build', 'examples/data', '-o', join(dir, 'data.bin'), '--force'],
      bareNode: ['-e', '0'],
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
