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

function timeRuns(runs, args) {
  timeProcess(args) // warms the file-system cache; not counted
  return summarize(Array.from({ length: runs }, () => timeProcess(args)))
}

/** `flashdata --version`, `flashdata build examples/data -o <tmp>`, and bare `node` for reference. */
export function startup(runs) {
  const dir = mkdtempSync(join(tmpdir(), 'flashdata-bench-'))
  try {
    return {
      version: timeRuns(runs, [cli, '--version']),
      build: timeRuns(runs, [cli, 'build', 'examples/data', '-o', join(dir, 'data.bin'), '--force']),
      bareNode: timeRuns(runs, ['-e', '0']),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
