import { createHook } from 'node:async_hooks'
import { describe, expect, it } from 'vitest'
import { buildImage, EmulatedElectron, EmulatedUsb, push, waitForBoard } from 'flashdata'
import { pseudoRandomBytes } from '../helpers/files.js'
import { bench } from '../helpers/emulator.js'

// A timer still pending when a command's work is done keeps the process alive
// that much longer: the user waits for nothing.
const image = buildImage([{ name: 'a.bin', data: pseudoRandomBytes(5000, 7), mtime: 1 }], { epoch: 1 })

/**
 * Runs `work`, then says how many of the timers our code (src/) created
 * meanwhile are still pending. The hook sees every timer of this worker, and
 * the test runner's own (its RPC calls to the main process) may still be
 * pending on a busy machine: those are not the job's.
 */
async function timersLeftBy(work: () => Promise<unknown>): Promise<number> {
  const pending = new Set<number>()
  const ours = /[\\/]src[\\/]/
  const hook = createHook({
    init: (id, type) => {
      if (type === 'Timeout' && ours.test(new Error().stack ?? '')) pending.add(id)
    },
    destroy: (id) => {
      pending.delete(id)
    },
  }).enable()
  try {
    await work()
    // The emulator's own zero-delay timers (a board booting in instant timing) run first.
    await new Promise((resolve) => setImmediate(resolve))
    return pending.size
  } finally {
    hook.disable()
  }
}

describe('jobs leave no timer running once they are done', () => {
  it('a wait that a connect event ends', async () => {
    const bus = new EmulatedUsb()
    const board = new EmulatedElectron({ timing: 'instant', mode: 'dfu' })
    const left = await timersLeftBy(async () => {
      const waiting = waitForBoard(bus, () => true, 60_000)
      setImmediate(() => bus.attach(board))
      expect(await waiting).toBeDefined()
    })
    expect(left).toBe(0)
  })

  it('a push that waits for the board to drop off the bus after leaving DFU mode', async () => {
    const {
      bus,
      boards: [board],
    } = bench({ mode: 'dfu' })
    const left = await timersLeftBy(async () => {
      const result = await push({ bus, image, untilGone: true })
      expect(result.status).toBe('flashed')
      // The board restarting is the emulator's timer, not the job's: let it boot.
      await waitForBoard(bus, (b) => b.info.serial === board.serialNumber, 5000)
    })
    expect(left).toBe(0)
  })
})
