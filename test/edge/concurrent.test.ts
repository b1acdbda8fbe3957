/**
 * Edge suite, concurrent processes: rounds of two or three CLI processes
 * (push of one of two images, verify, pull) started at once on one emulated
 * board, with a fixed seed. Whatever the interleaving: each exits with a
 * documented code (success, or BUSY when the board was taken), the board ends
 * holding exactly the image of one push that said it flashed (or the one it
 * held), nothing outside sector 9 changes, no lock is left behind, nothing hangs.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, ExitCode, SECTOR_SIZE } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { pseudoRandomBytes } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'
import { documentedExitCodes, EDGE_SEED, Random, run, SECTOR_OFFSET } from './harness.js'

const ROUNDS = 4
const PROCESS_TIMEOUT_MS = 90_000
const FLASH_PHASES = ['compare', 'erase', 'write', 'verify', 'read']

/** Runs the CLI after `delayMs`, so processes meet at different points of their work. */
async function runAfter(
  delayMs: number,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; hung: boolean }> {
  await new Promise((resolve) => setTimeout(resolve, delayMs))
  const result = await run(args, { env, timeoutMs: PROCESS_TIMEOUT_MS })
  return { code: result.code, stdout: result.stdout.toString(), hung: result.timedOut }
}

const outside = (flash: Buffer) =>
  Buffer.concat([flash.subarray(0, SECTOR_OFFSET), flash.subarray(SECTOR_OFFSET + SECTOR_SIZE)])

describe('edge: concurrent processes on one board', () => {
  it(`${ROUNDS} rounds of processes started together never interleave on the board`, async () => {
    const random = new Random(EDGE_SEED ^ 0xc0c0)
    const codes = documentedExitCodes()
    const dir = await tempDir()
    const flash = join(dir, 'e.bin')
    const images = [0, 1].map((i) =>
      buildImage([{ name: `image-${i}.bin`, data: pseudoRandomBytes(20_000 + i * 30_000, i + 3), mtime: 1 }], {
        epoch: 1,
      }),
    )
    const paths = images.map((_, i) => join(dir, `image-${i}.img`))
    for (const [i, path] of paths.entries()) await writeFile(path, images[i])
    // Datasheet timing: each session lasts long enough (erase 1 s) for the processes to meet.
    const env = { FLASHDATA_EMULATOR: flash, FLASHDATA_EMULATOR_TIMING: 'datasheet', FLASHDATA_EMULATOR_MODE: 'dfu' }
    expect((await runCli(['push', paths[0], '--no-leave'], { env })).code).toBe(0)
    const firmware = outside(await readFile(flash))
    let held = images[0]
    for (let round = 0; round < ROUNDS; round++) {
      const jobs = Array.from({ length: random.int(2, 3) }, (_, index) => {
        const which = random.int(0, 1)
        const kind = random.chance(0.7) ? 'push' : random.chance(0.5) ? 'verify' : 'pull'
        const force = random.chance(0.7) ? ['--force'] : []
        const args =
          kind === 'push'
            ? ['push', paths[which], ...force, '--no-leave']
            : kind === 'verify'
              ? ['verify']
              : ['pull', '-o', join(dir, `pulled-${round}-${index}.bin`), '--raw']
        // Started up to 1.5 s apart, so one may erase while another writes.
        return { kind, which, args, delayMs: random.int(0, 1500) }
      })
      const results = await Promise.all(jobs.map((job) => runAfter(job.delayMs, [...job.args, '--json'], env)))
      // Each push that reported success, with the time its last read of the board (read-back, or the compare of an unchanged one) ended.
      const flashed: Array<{ image: Uint8Array; verifiedAt: string }> = []
      for (const [i, result] of results.entries()) {
        const what = `round ${round}: ${jobs[i].args.join(' ')}`
        expect(result.hung, `${what} hung`).toBe(false)
        expect(codes.has(result.code!), `${what}: exit code ${result.code} is documented`).toBe(true)
        expect([0, ExitCode.BUSY], `${what}: ${result.stdout.split('\n').at(-2)}`).toContain(result.code)
        if (jobs[i].kind !== 'push' || result.code !== 0) continue
        const verified = ndjson(result.stdout)
          .filter((e) => e.type === 'phase-end' && (e.phase === 'verify' || e.phase === 'compare'))
          .at(-1)
        flashed.push({ image: images[jobs[i].which], verifiedAt: String(verified?.time) })
      }
      // No two processes were ever at the board at once (each command's first and last flash phase, by its event times).
      const sessions = results
        .filter((r) => r.code === 0)
        .map((r) => {
          const phases = ndjson(r.stdout).filter(
            (e) => (e.type === 'phase-start' || e.type === 'phase-end') && FLASH_PHASES.includes(String(e.phase)),
          )
          return { start: String(phases[0]?.time), end: String(phases.at(-1)?.time) }
        })
      for (const a of sessions) {
        for (const b of sessions) {
          if (a !== b)
            expect(
              a.end <= b.start || b.end <= a.start,
              `round ${round}: sessions ${a.start}-${a.end} and ${b.start}-${b.end} overlap`,
            ).toBe(true)
        }
      }
      // So the push that read the board last is the one it holds, whole.
      const last = flashed.sort((a, b) => a.verifiedAt.localeCompare(b.verifiedAt)).at(-1)?.image ?? held
      const after = await readFile(flash)
      expect(
        Buffer.compare(after.subarray(SECTOR_OFFSET, SECTOR_OFFSET + last.length), last),
        `round ${round}: the board holds the image verified last`,
      ).toBe(0)
      held = last
      expect(Buffer.compare(outside(after), firmware), `round ${round}: nothing outside sector 9 changed`).toBe(0)
      await expect(readFile(`${flash}.lock`), 'no lock left behind').rejects.toMatchObject({ code: 'ENOENT' })
    }
  }, 600_000)
})
