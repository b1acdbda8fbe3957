import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runGenerator } from '../../src/provision/generate.js'
import { REPO } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const hasOpenssl = spawnSync('openssl', ['version']).status === 0
if (!hasOpenssl) console.warn('docs/station.md certificate example skipped: openssl is not installed')

/** The shell block of docs/station.md that starts with `# <first>`. */
function documentedBlock(first: string): string {
  const station = readFileSync(join(REPO, 'docs/station.md'), 'utf8')
  const block = station.split('```sh\n').find((b) => b.startsWith(`# ${first}`))
  if (!block) throw new Error(`docs/station.md has no sh block starting "# ${first}"`)
  return block.slice(0, block.indexOf('```'))
}

describe('--generate', () => {
  it('gives the command the serial and an empty folder, keeps its output, and fails that board on a non-zero exit or a timeout', async () => {
    const ok = await runGenerator(
      'echo "for $FLASHDATA_SERIAL"; ls -A "$FLASHDATA_OUT" | wc -l; printf x > "$FLASHDATA_OUT/a.txt"',
      'e00fce68',
    )
    expect(ok.files.map((f) => f.name)).toEqual(['a.txt'])
    expect(ok.output).toMatch(/^for e00fce68\n\s*0\n$/)
    await expect(runGenerator('echo broken >&2; exit 3', 'e00fce68')).rejects.toMatchObject({
      code: 'GENERATE_FAILED',
      message: expect.stringContaining('exited with code 3. Its output: broken'),
    })
    await expect(runGenerator('sleep 30', 'e00fce68', { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'GENERATE_FAILED',
      message: expect.stringContaining('did not finish within 0.3 s'),
    })
    await expect(runGenerator('true', 'e00fce68')).rejects.toMatchObject({
      code: 'GENERATE_FAILED',
      message: expect.stringContaining('wrote no files'),
    })
  })

  it('succeeds as soon as the generator exits, though a process it left running holds its output open', async () => {
    const dir = await tempDir()
    // An agent-like leftover: `sleep 600 &` inherits stdout and stderr and outlives the shell.
    const command =
      'sleep 600 & echo $! > leftover.pid; echo "made for $FLASHDATA_SERIAL"; echo note >&2; printf x > "$FLASHDATA_OUT/a.txt"'
    try {
      // The generator may take 10 minutes: only its exit, not the leftover, can end this within the test's timeout.
      const done = await runGenerator(command, 'e00fce68', { cwd: dir, timeoutMs: 600_000 })
      expect(done.files.map((f) => f.name)).toEqual(['a.txt'])
      expect(done.output).toBe('made for e00fce68\nnote\n')
    } finally {
      process.kill(Number(readFileSync(join(dir, 'leftover.pid'), 'utf8')), 'SIGKILL')
    }
  })

  it.skipIf(!hasOpenssl)(
    'runs the docs/station.md example: a per-board certificate signed by the station CA',
    async () => {
      const dir = await tempDir()
      mkdirSync(join(dir, 'ca'))
      const once = documentedBlock('once: the station CA')
        .split('\n')
        .filter((l) => !l.startsWith('flashdata '))
        .join('\n')
      execFileSync('sh', ['-c', once], { cwd: dir, stdio: 'pipe' })
      writeFileSync(join(dir, 'make-cert.sh'), documentedBlock('make-cert.sh'))
      const generated = await runGenerator('sh make-cert.sh', 'e00fce68d1a3c5b7f1e2d3c4', { cwd: dir })
      expect(generated.files.map((f) => f.name).sort()).toEqual(['certs/device.crt', 'certs/device.key'])
      const crt = join(dir, 'device.crt')
      writeFileSync(crt, generated.files.find((f) => f.name === 'certs/device.crt')!.data)
      expect(
        execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca/station-ca.crt'), crt], { encoding: 'utf8' }),
      ).toContain('OK')
      expect(execFileSync('openssl', ['x509', '-in', crt, '-noout', '-subject'], { encoding: 'utf8' })).toContain(
        'CN = e00fce68d1a3c5b7f1e2d3c4',
      )
    },
  )
})
