// What records keep of a generator's output: none by default (it may hold keys), the last lines of a failure without
// its PEM blocks, all of its last 4 KiB when asked. Real jig runs on emulated boards, and the generator itself.
import { mkdirSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, ExitCode, openFlashFile } from 'flashdata'
import { runGenerator } from '../../src/provision/generate.js'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const SERIAL = 'dddddddddddddddddddddd01'
const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKEYMATERIALKEYMATERIAL\n-----END EC PRIVATE KEY-----'

/** Runs the jig once over one emulated board with this generator; resolves with its exit code, record and output. */
async function station(generator: string, extra: string[] = []) {
  const dir = await tempDir()
  await writeTree(join(dir, 'common'), { 'ca.pem': 'CA' })
  await writeFile(join(dir, 'gen.sh'), generator)
  mkdirSync(join(dir, 'bench'))
  new EmulatedElectron({ flash: openFlashFile(join(dir, 'bench', `${SERIAL}.bin`)), timing: 'instant' }).close()
  const log = join(dir, 'log.ndjson')
  const run = await runCli(
    [
      'jig',
      join(dir, 'common'),
      '--generate',
      `sh ${join(dir, 'gen.sh')}`,
      '--count',
      '1',
      '--emulator',
      join(dir, 'bench'),
      '--log',
      log,
      '--json',
      ...extra,
    ],
    { env: { FLASHDATA_EMULATOR_TIMING: 'instant' } },
  )
  const logText = await readFile(log, 'utf8')
  return { code: run.code, record: ndjson(logText)[0], everything: logText + run.text + run.stderr }
}

const printsKey = `printf x > "$FLASHDATA_OUT/id.txt"\ncat <<'END'\n${KEY}\nEND\necho made the key\n`

describe("the generator's output in records", { timeout: 60_000 }, () => {
  it('is left out of records by default: names, exit code and time only', async () => {
    const { code, record, everything } = await station(printsKey)
    expect(code).toBe(0)
    expect(record.outcome).toBe('flashed')
    expect((record.provision as { generated: object }).generated).toEqual({
      files: ['id.txt'],
      exitCode: 0,
      durationMs: expect.any(Number),
    })
    expect(everything).not.toContain('KEYMATERIAL')
    expect(everything).not.toContain('made the key')
  })

  it('is kept, its last 4 KiB, with --generate-keep-output', async () => {
    const { code, record } = await station(printsKey, ['--generate-keep-output'])
    expect(code).toBe(0)
    expect((record.provision as { generated: { output: string } }).generated.output).toBe(`${KEY}\nmade the key\n`)
  })

  it("on a failure, the board's record keeps the last 3 lines of the output, without the PEM blocks before them", async () => {
    const lines = Array.from({ length: 6 }, (_, i) => `echo step ${i + 1}`).join('\n')
    const { code, record, everything } = await station(`cat <<'END'\n${KEY}\nEND\n${lines}\nexit 2\n`)
    expect(code).toBe(ExitCode.JIG_FAILURES)
    expect(record).toMatchObject({ outcome: 'failed', error: { code: 'GENERATE_FAILED' } })
    const message = (record.error as { message: string }).message
    expect(message).toContain('exited with code 2. Its output: step 4 | step 5 | step 6')
    expect(message).not.toContain('step 3')
    expect(everything).not.toContain('KEYMATERIAL')
  })

  it('on a failure, leaves out a PEM block the last lines cut into, and a block whose start fell out of the last 4 KiB', async () => {
    const dir = await tempDir()
    const cutInto = runGenerator(`echo before; cat <<'END'\n${KEY}\nEND\nexit 1`, SERIAL, { cwd: dir })
    await expect(cutInto).rejects.toMatchObject({
      code: 'GENERATE_FAILED',
      details: { output: 'before\n[PEM block left out]' },
    })
    // 5,000 bytes of key before its END line: the 4 KiB kept start inside the block.
    const long = `echo "-----BEGIN PRIVATE KEY-----"; head -c 5000 /dev/zero | tr '\\\\0' K; echo; echo "-----END PRIVATE KEY-----"; echo failed here; exit 1`
    const failure = (await runGenerator(long, SERIAL, { cwd: dir }).catch((error: Error) => error)) as Error
    expect(failure.message).toMatch(/Its output: \[PEM block left out\] \| failed here$/)
    expect(failure.message).not.toContain('KKK')
    // Asked for, a failure's details keep the whole 4 KiB.
    const kept = await runGenerator(long, SERIAL, { cwd: dir, keepOutput: true }).catch(
      (error: { details: { output: string } }) => error.details.output,
    )
    expect(kept).toHaveLength(4096)
  })
})
