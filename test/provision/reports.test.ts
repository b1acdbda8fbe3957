// The report files after boards that finish together: each rewrite waits for the one before, so the last one
// written holds every record.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { JigRecord } from 'flashdata'
import { Reports } from '../../src/provision/reports.js'
import { tempDir } from '../helpers/tmp.js'

const record = (i: number): JigRecord => ({
  serial: i.toString(16).padStart(24, '0'),
  startedAt: new Date(0).toISOString(),
  endedAt: new Date(1000).toISOString(),
  durationMs: 1000,
  phases: {},
  outcome: 'flashed',
})

describe('station reports', () => {
  it('holds every record after many boards finish at once', async () => {
    const dir = await tempDir()
    const reports = new Reports({ junit: join(dir, 'results.xml'), csv: join(dir, 'results.csv') }, 'bench')
    const boards = Array.from({ length: 40 }, (_, i) => record(i + 1))
    await Promise.all(boards.map((r) => reports.add(r)))
    expect((await readFile(join(dir, 'results.csv'), 'utf8')).trim().split('\n')).toHaveLength(41)
    expect((await readFile(join(dir, 'results.xml'), 'utf8')).match(/<testcase /g)).toHaveLength(40)
  })
})
