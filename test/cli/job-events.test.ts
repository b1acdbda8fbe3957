/**
 * The events contract (src/jobs/events.ts) as `--json` prints it, on an
 * emulated board: a write that fails mid-sector is a phase-failed line with
 * its code, and the read phase's progress never shows a faked total.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ndjson, runCli } from '../helpers/cli.js'
import { pseudoRandomBytes } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const env = { FLASHDATA_EMULATOR_TIMING: 'instant' }

/** A data folder and a board file: 30,000 bytes of data is many block writes and reads. */
async function setup(): Promise<{ data: string; board: string }> {
  const dir = await tempDir()
  const data = join(dir, 'data')
  await mkdir(data)
  await writeFile(join(data, 'blob.bin'), pseudoRandomBytes(30_000, 4))
  return { data, board: join(dir, 'board.bin') }
}

describe('job events in --json (CLI)', () => {
  it('a push whose third block write fails prints phase-failed for write with the code, then writes again', async () => {
    const { data, board } = await setup()
    const pushed = await runCli(['push', data, '--emulator', board, '--json'], {
      env: { ...env, FLASHDATA_EMULATOR_FAIL_WRITE: '3' },
    })
    expect(pushed.code).toBe(0)
    const lines = ndjson(pushed.text)
    const failed = lines.filter((l) => l.type === 'phase-failed')
    expect(failed).toMatchObject([{ phase: 'write', code: 'DFU_WRITE_FAILED' }])
    expect(failed[0].bytes).toBeGreaterThan(0)
    const writes = lines.filter((l) => l.phase === 'write' && l.type !== 'progress').map((l) => l.type)
    expect(writes).toEqual(['phase-start', 'phase-failed', 'phase-start', 'phase-end'])
    expect(lines.at(-1)).toMatchObject({ type: 'result', command: 'push', status: 'flashed', retried: true })
  })

  it('the read phase of verify --json reports the real total: no progress reaches it before the last', async () => {
    const { data, board } = await setup()
    expect((await runCli(['push', data, '--emulator', board], { env })).code).toBe(0)
    const verified = await runCli(['verify', '--emulator', board, '--json'], { env })
    expect(verified.code).toBe(0)
    const lines = ndjson(verified.text)
    // Unknown until the header is read: absent, not guessed.
    expect(lines.find((l) => l.type === 'phase-start' && l.phase === 'read')).not.toHaveProperty('totalBytes')
    const reads = lines.filter((l) => l.type === 'progress' && l.phase === 'read')
    expect(reads.length).toBeGreaterThan(1)
    const total = reads[0].totalBytes as number
    expect(total).toBe((lines.at(-1)!.image as { usedBytes: number }).usedBytes) // the image's own size
    expect(reads.every((l) => l.totalBytes === total)).toBe(true)
    expect(reads.at(-1)!.bytes).toBe(total)
    expect(reads.slice(0, -1).every((l) => (l.bytes as number) < total)).toBe(true)
  })

  it('FLASHDATA_EMULATOR_FAIL_WRITE that is not a block write number is a usage error', async () => {
    const board = join(await tempDir(), 'board.bin')
    const result = await runCli(['push', 'examples/data', '--emulator', board, '--json'], {
      env: { ...env, FLASHDATA_EMULATOR_FAIL_WRITE: 'soon' },
    })
    expect(result.code).toBe(2)
    expect(ndjson(result.text).at(-1)).toMatchObject({ type: 'error', code: 'BAD_OPTION' })
  })
})
