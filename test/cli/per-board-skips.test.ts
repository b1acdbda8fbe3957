import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, openFlashFile } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

const SERIAL = 'e00fce68a1b2c3d4e5f60718'

describe('per-board data: nothing left out unreported (CLI)', () => {
  it('push and jig report what packing the common and the board’s own folder skipped, and an --exclude that matched nothing', async () => {
    const dir = await tempDir()
    await writeTree(join(dir, 'common'), { 'ca.pem': 'CA', 'notes.tmp': 'draft', '.git/config': 'vcs' })
    await writeTree(join(dir, 'boards', SERIAL), {
      'own.txt': 'mine',
      'draft.tmp': 'draft',
      '.DS_Store': 'junk',
      'spare.bak': 'old',
    })
    const board = join(dir, `${SERIAL}.bin`)
    new EmulatedElectron({ flash: openFlashFile(board), timing: 'instant' }).close()
    const env = { FLASHDATA_EMULATOR_TIMING: 'instant', FLASHDATA_EMULATOR: board }
    const perBoard = [
      '--per-board',
      join(dir, 'boards'),
      '--exclude',
      '*.tmp',
      '--exclude',
      'nothing-*',
      '--exclude',
      '*.bak',
      '--json',
    ]
    const expected = {
      skipped: expect.arrayContaining([
        { path: join(dir, 'common', '.git'), reason: expect.any(String) },
        { path: join(dir, 'common', 'notes.tmp'), reason: 'excluded by *.tmp' },
        { path: join(dir, 'boards', SERIAL, '.DS_Store'), reason: expect.any(String) },
        { path: join(dir, 'boards', SERIAL, 'draft.tmp'), reason: 'excluded by *.tmp' },
        { path: join(dir, 'boards', SERIAL, 'spare.bak'), reason: 'excluded by *.bak' },
      ]),
      // *.bak matched only in the board's own folder: not a pattern that matched nothing.
      warnings: [expect.stringContaining('nothing-*')],
    }

    const pushed = await runCli(['push', join(dir, 'common'), ...perBoard], { env })
    expect(pushed.code, pushed.stderr).toBe(0)
    const result = ndjson(pushed.text).at(-1) as { provision: { skipped: unknown[] } }
    expect(result.provision).toMatchObject(expected)
    expect(result.provision.skipped).toHaveLength(5)

    const jig = await runCli(['jig', join(dir, 'common'), ...perBoard, '--count', '1', '--force'], {
      env: { ...env, FLASHDATA_EMULATOR: dir },
    })
    const done = ndjson(jig.text).find((line) => line.type === 'board-done') as { record: { provision: unknown } }
    expect(done.record.provision, jig.stderr).toMatchObject(expected)
  })
})
