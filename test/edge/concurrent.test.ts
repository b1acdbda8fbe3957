/**
 * Edge suite, concurrent processes: rounds of two or three CLI processes
 * (push of one of two images, verify, pull) started at once on one emulated
 * board, with a fixed seed. Whatever the interleaving: each exits with a
 * documented code (success, or BUSY when the board was taken), the board ends
 * holding exactly the image of one push that said it flashed (or the one it
 * held), nothing outside sector 9 changes, no lock is left behind, nothing hangs.
 */
import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, ExitCode, SECTOR_SIZE } from 'flashdata'
import { CLI, REPO, ndjson, runCli } from '../helpers/cli.js'
import { pseudoRandomBytes, rng } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const SEED = 0xc0c0
const ROUNDS = 6
const PROCESS_TIMEOUT_MS = 90_000
const SECTOR_OFFSET = 0xa0000
const FLASH_PHASES = ['compare', 'erase', 'write', 'verify', 'read']

const documented = readFile(new URL('../../README.md', import.meta.url), 'utf8').then((text) => {
  const table = text.slice(text.indexOf('## Exit codes'))
  return new Set([...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1])))
})

/** Runs the CLI; a process still running after PROCESS_TIMEOUT_MS is killed and reported as hung. */
function runBounded(args: string[], env: NodeJS.ProcessEnv, delayMs: number): Promise<{ code: number | null; stdout: string; hung: boolean }> {
  return new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] })
    let stdout = ''
    let hung = false
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL') }, PROCESS_TIMEOUT_MS)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, hung })
    })
  }))
}

const outside = (flash: Buffer) => Buffer.concat([flash.subarray(0, SECTOR_OFFSET), flash.subarray(SECTOR_OFFSET + SECTOR_SIZE)])

describe('edge: concurrent processes on one board', () => {
  it(`${ROUNDS} rounds of processes started together never interleave on the board`, async () => {
    const random = rng(SEED)
    const codes = await documented
    const dir = await tempDir()
    const flash = join(dir, 'e.bin')
    const images = [0, 1].map((i) => buildImage([{ name: `image-${i}.bin`, data: pseudoRandomBytes(20_000 + i * 30_000, i + 3), mtime: 1 }], { epoch: 1 }))
    const paths = images.map((_, i) => join(dir, `image-${i}.img`))
    for (const [i, path] of paths.entries()) await writeFile(path, images[i])
    // Datasheet timing: each session lasts long enough (erase 1 s) for the processes to meet.
    const env = { FLASHDATA_EMULATOR: flash, FLASHDATA_EMULATOR_TIMING: 'datasheet', FLASHDATA_EMULATOR_MODE: 'dfu' }
    expect((await runCli(['push', paths[0], '--no-leave'], { env })).code).toBe(0)
    const firmware = outside(await readFile(flash))
    let held = images[0]
    for (let round = 0; round < ROUNDS; round++) {
      const jobs = Array.from({ length: 2 + Math.floor(random() * 2) }, () => {
        const which = Math.floor(random() * 2)
        const kind = random() < 0.7 ? 'push' : random() < 0.5 ? 'verify' : 'pull'
        const force = random() < 0.7 ? ['--force'] : []
        const args = kind === 'push' ? ['push', paths[which], ...force, '--no-leave'] : kind === 'verify' ? ['verify'] : ['pull', '-o', '-', '--raw']
        // Started up to 1.5 s apart, so one may erase while another writes.
        return { kind, which, args, delayMs: Math.floor(random() * 1500) }
      })
      const results = await Promise.all(jobs.map((job) => runBounded([...job.args, '--json'], env, job.delayMs)))
      // Each push that reported success, with the time its last read of the board (read-back, or the compare of an unchanged one) ended.
      const flashed: Array<{ image: Uint8Array; verifiedAt: string }> = []
      for (const [i, result] of results.entries()) {
        const what = `round ${round}: ${jobs[i].args.join(' ')}`
        expect(result.hung, `${what} hung`).toBe(false)
        expect(codes.has(result.code!), `${what}: exit code ${result.code} is documented`).toBe(true)
        expect([0, ExitCode.BUSY], `${what}: ${result.stdout.split('\n').at(-2)}`).toContain(result.code)
        if (jobs[i].kind !== 'push' || result.code !== 0) continue
        const verified = ndjson(result.stdout).filter((e) => e.type === 'phase-end' && (e.phase === 'verify' || e.phase === 'compare')).at(-1)
        flashed.push({ image: images[jobs[i].which], verifiedAt: String(verified?.time) })
      }
      // No two processes were ever at the board at once (each command's first and last flash phase, by its event times).
      const sessions = results.filter((r) => r.code === 0).map((r) => {
        const phases = ndjson(r.stdout).filter((e) => (e.type === 'phase-start' || e.type === 'phase-end') && FLASH_PHASES.includes(String(e.phase)))
        return { start: String(phases[0]?.time), end: String(phases.at(-1)?.time) }
      })
      for (const a of sessions) {
        for (const b of sessions) {
          if (a !== b) expect(a.end <= b.start || b.end <= a.start, `round ${round}: sessions ${a.start}-${a.end} and ${b.start}-${b.end} overlap`).toBe(true)
        }
      }
      // So the push that read the board last is the one it holds, whole.
      const last = flashed.sort((a, b) => a.verifiedAt.localeCompare(b.verifiedAt)).at(-1)?.image ?? held
      const after = await readFile(flash)
      expect(Buffer.compare(after.subarray(SECTOR_OFFSET, SECTOR_OFFSET + last.length), last), `round ${round}: the board holds the image verified last`).toBe(0)
      held = last
      expect(Buffer.compare(outside(after), firmware), `round ${round}: nothing outside sector 9 changed`).toBe(0)
      await expect(readFile(`${flash}.lock`), 'no lock left behind').rejects.toMatchObject({ code: 'ENOENT' })
    }
  }, 600_000)
})
