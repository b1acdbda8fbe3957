import { cp, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const TREE = { 'hello.txt': 'hello\n', 'certs/ca.pem': '-----BEGIN CERTIFICATE-----\n' }

async function setup() {
  const dir = await tempDir()
  const data = join(dir, 'data')
  await writeTree(data, TREE, 1_600_000_000)
  return { dir, data, env: { FLASHDATA_EMULATOR_TIMING: 'instant', FLASHDATA_EMULATOR: join(dir, 'e.bin') } }
}

const phasesOf = (text: string) =>
  ndjson(text)
    .filter((e) => e.type === 'phase-end')
    .map((e) => e.phase)

describe('the same folder is the same image (CLI)', () => {
  it('gives build, inspect and push the same image, so a built image and its folder never alternate rewrites', async () => {
    const { dir, data, env } = await setup()
    const image = join(dir, 'data.bin')
    const built = await runCli(['build', data, '-o', image, '--json'], { env })
    expect(JSON.parse(built.text)).toMatchObject({ epoch: 1_600_000_000 })
    const inspected = JSON.parse((await runCli(['inspect', data, '--json'], { env })).text)
    expect(inspected.header.modDate).toBe(1_600_000_000)

    expect(ndjson((await runCli(['push', image, '--json'], { env })).text).at(-1)).toMatchObject({ status: 'flashed' })
    const again = await runCli(['push', data, '--json'], { env })
    expect(ndjson(again.text).at(-1)).toMatchObject({ type: 'result', status: 'unchanged', timeStampsDiffer: false })
    expect(phasesOf(again.text)).not.toContain('erase')
  })

  it('reports a touched folder as unchanged with a note and does not rewrite it; --force does', async () => {
    const { data, env } = await setup()
    expect((await runCli(['push', data], { env })).code).toBe(0)
    await utimes(join(data, 'hello.txt'), 1_700_000_000, 1_700_000_000)

    const text = await runCli(['push', data], { env })
    expect(text.code).toBe(0)
    expect(text.text).toMatch(
      /^Unchanged: [0-9a-f]{24} already holds these files \(2 files, [\d,]+ bytes\); only their time stamps differ and are kept\. Nothing written/,
    )
    const json = await runCli(['push', data, '--json'], { env })
    expect(ndjson(json.text).at(-1)).toMatchObject({ status: 'unchanged', timeStampsDiffer: true })
    expect(ndjson(json.text).find((e) => e.phase === 'compare' && e.type === 'phase-end')).toMatchObject({
      detail: 'the board already holds these files; only time stamps differ',
    })
    expect(phasesOf(json.text)).not.toContain('erase')

    const forced = await runCli(['push', data, '--force', '--json'], { env })
    expect(ndjson(forced.text).at(-1)).toMatchObject({ status: 'flashed' })
    expect(phasesOf(forced.text)).toContain('erase')
  })

  it('verifies a fresh copy of the folder as a match with a note, and as a difference with --exact', async () => {
    const { dir, data, env } = await setup()
    expect((await runCli(['push', data], { env })).code).toBe(0)
    const copy = join(dir, 'clone')
    await cp(data, copy, { recursive: true }) // new file times, as after a fresh clone

    const verified = await runCli(['verify', copy], { env })
    expect(verified.code).toBe(0)
    expect(verified.text).toContain('only their time stamps differ (--exact compares those too)')
    expect(ndjson((await runCli(['verify', copy, '--json'], { env })).text).at(-1)).toMatchObject({
      status: 'match',
      timeStampsDiffer: true,
    })

    const exact = await runCli(['verify', copy, '--exact'], { env })
    expect(exact.code).toBe(ExitCode.VERIFY_MISMATCH)
    expect(exact.text).toContain('Differs:')
    expect(ndjson((await runCli(['verify', copy, '--exact', '--json'], { env })).text).at(-1)).toMatchObject({
      status: 'differs',
      timeStampsDiffer: false,
    })

    // Changed bytes are never "the same files", whatever the time stamps.
    await writeTree(copy, { 'hello.txt': 'hullo\n' }, 1_600_000_000)
    expect((await runCli(['verify', copy], { env })).code).toBe(ExitCode.VERIFY_MISMATCH)
    expect(ndjson((await runCli(['push', copy, '--json'], { env })).text).at(-1)).toMatchObject({ status: 'flashed' })
  })
})
