import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage } from 'flashdata'
import { ndjson } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'
import { BoardFile, describeRun, EDGE_TEST_TIMEOUT_MS, Random, runAll, runOnBoard } from './harness.js'

/**
 * An image big enough that a push emits many lines while it writes. The
 * pushes run with datasheet timing: the write then takes real time, during
 * which the lost reader is noticed (with instant timing the job can end first).
 */
const TIMED = { FLASHDATA_EMULATOR_TIMING: 'datasheet' }

function bigImage(random: Random): Uint8Array {
  return buildImage([{ name: 'big.bin', data: random.bytes(random.int(30_000, 70_000)), mtime: 1 }], {
    epoch: random.int(1, 1e9),
  })
}

/** A folder with a big image file and a blank board at `boardPath` inside it. */
async function setup(random: Random, boardPath: string) {
  const dir = await tempDir()
  const image = bigImage(random)
  const file = join(dir, 'image.bin')
  await writeFile(file, image)
  return { dir, image, file, board: await BoardFile.create(join(dir, boardPath)) }
}

/** A pty of 0 rows and 0 columns (what openpty gives before any resize), the CLI on its three stdio ends. */
const PTY_0X0 = [
  'python3',
  '-c',
  `
import os, pty, subprocess, sys
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave)
os.close(slave)
while True:
    try:
        data = os.read(master, 65536)
    except OSError:
        break
    if not data:
        break
sys.exit(child.wait())
`,
]

describe('edge: closed pipes and odd terminals never cut device work short', { timeout: EDGE_TEST_TIMEOUT_MS }, () => {
  const random = new Random()

  it('push --json into a reader that closes early still writes and verifies the whole image, and exits 0', async () => {
    const dir = await tempDir()
    const cases = Array.from({ length: 3 }, (_, i) => ({
      i,
      lines: i === 0 ? 0 : random.int(1, 6),
      image: bigImage(random),
    }))
    await runAll(cases, async ({ i, lines, image }) => {
      const file = join(dir, `image-${i}.bin`)
      await writeFile(file, image)
      const board = await BoardFile.create(join(dir, `board-${i}.bin`))
      const result = await runOnBoard(board, ['push', file, '--json'], { closeStdoutAfterLines: lines, env: TIMED })
      expect(result.code, describeRun(result)).toBe(0)
      expect(await board.holds(image), describeRun(result)).toBe(true)
    })
  })

  it('push in human mode with stderr gone still writes the whole image and exits 0', async () => {
    const { image, file, board } = await setup(random, 'board.bin')
    const result = await runOnBoard(board, ['push', file], { closeStderr: true, env: TIMED })
    expect(result.code, describeRun(result)).toBe(0)
    expect(await board.holds(image)).toBe(true)
  })

  it('the jig with its NDJSON reader gone flashes the board and writes its log record', async () => {
    const { dir, image, file, board } = await setup(random, 'station/aaaaaaaaaaaaaaaaaaaaaaa1.bin')
    const log = join(dir, 'log.ndjson')
    const result = await runOnBoard(
      board,
      ['jig', file, '--count', '1', '--json', '--log', log, '--emulator', join(dir, 'station')],
      {
        closeStdoutAfterLines: random.int(1, 4),
        env: { ...TIMED, FLASHDATA_EMULATOR: undefined },
      },
    )
    expect(result.code, describeRun(result)).toBe(0)
    expect(ndjson(await readFile(log, 'utf8'))).toMatchObject([
      { serial: 'aaaaaaaaaaaaaaaaaaaaaaa1', outcome: 'flashed' },
    ])
    expect(await board.holds(image)).toBe(true)
  })

  it('push on a terminal of 0x0 finishes (width 0 is unknown, not zero)', async () => {
    const { image, file, board } = await setup(random, 'board.bin')
    const result = await runOnBoard(board, ['push', file], { prefix: PTY_0X0, env: { ...TIMED, CI: undefined } })
    expect(result.code, describeRun(result)).toBe(0)
    expect(await board.holds(image)).toBe(true)
  })
})
