// The timed scenarios. Every run gets its own factory-fresh board(s) in DFU
// mode; set-up and tear-down are outside the timed part.
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildImageFromPaths, openFlashFile, push, runJig } from '../../dist/index.js'
import { FileLedger } from '../../dist/provision/ledger-file.js'
import { loadPool } from '../../dist/provision/pool.js'
import { openProvisioner } from '../../dist/provision/provisioner.js'
import { cachedDescriptors, dfuUtilStyleDownload } from './dfu-util-style.js'
import { ADDRESS, countTransfers, flashMs, freshBoards, repeat } from './lib.js'

function checkWritten(board, image, who) {
  const back = board.readFlash(ADDRESS, image.length)
  if (!back.every((b, i) => b === image[i])) throw new Error(`${who}: the board does not hold the image afterwards`)
}

/** One flashdata push onto `board` (alone on `bus`), timed and counted. */
async function timedPush(bus, board, image) {
  const counts = countTransfers(board.device)
  const logFrom = board.flashLog.length
  const phaseTransfers = {}
  const onEvent = (e) => {
    if (e.type === 'phase-start') phaseTransfers[e.phase] = (phaseTransfers[e.phase] ?? 0) - counts.total
    if (e.type === 'phase-end') phaseTransfers[e.phase] += counts.total
  }
  const start = performance.now()
  const result = await push({ bus, image, onEvent })
  const ms = performance.now() - start
  // What the traffic and flash work sent cost in the model, and what the leave phase waited for the reset.
  const modelMs = counts.busMs + flashMs(board, logFrom)
  return { ms, status: result.status, phases: result.phases, phaseTransfers, counts, modelMs }
}

/** flashdata push of `image` onto a factory-fresh board already in DFU mode. */
export function freshPush(image, runs) {
  return repeat(runs, async () => {
    const { bus, boards, close } = freshBoards(1)
    try {
      const run = await timedPush(bus, boards[0], image)
      if (run.status !== 'flashed') throw new Error(`fresh push: ${run.status}`)
      checkWritten(boards[0], image, 'fresh push')
      return run
    } finally {
      close()
    }
  })
}

/**
 * flashdata push of `image` onto a board in DFU mode that already holds it.
 * The board comes from a flash file prepared once (instant timing, no
 * leave), so each run starts from the same state without a timed write.
 */
export async function unchangedPush(image, runs) {
  const dir = mkdtempSync(join(tmpdir(), 'flashdata-bench-'))
  const flashFile = join(dir, 'electron.bin')
  try {
    const { bus, close } = freshBoards(1, { timing: 'instant', flash: openFlashFile(flashFile) })
    await push({ bus, image, leave: false })
    close()
    return await repeat(runs, async () => {
      const {
        bus: runBus,
        boards: [board],
        close: closeRun,
      } = freshBoards(1, { flash: openFlashFile(flashFile) })
      try {
        const run = await timedPush(runBus, board, image)
        if (run.status !== 'unchanged') throw new Error(`unchanged push: ${run.status}`)
        return run
      } finally {
        closeRun()
      }
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The dfu-util-style host writing `image` onto a factory-fresh board in DFU mode. */
export function dfuUtilStyle(image, runs) {
  return repeat(runs, async () => {
    const {
      boards: [board],
      close,
    } = freshBoards(1)
    try {
      const cached = await cachedDescriptors(board.device)
      const counts = countTransfers(board.device)
      const start = performance.now()
      await dfuUtilStyleDownload(board.device, ADDRESS, image, cached)
      const ms = performance.now() - start
      checkWritten(board, image, 'dfu-util-style host')
      return { ms, counts, modelMs: counts.busMs + flashMs(board) }
    } finally {
      close()
    }
  })
}

/** The jig station with `count` factory-fresh boards in DFU mode, all attached before it starts. */
export function jig(image, count, runs) {
  return repeat(runs, async () => {
    const { bus, close } = freshBoards(count)
    try {
      const start = performance.now()
      const summary = await runJig({ bus, image, count })
      const ms = performance.now() - start
      if (summary.flashed !== count) throw new Error(`jig: ${summary.flashed} of ${count} boards flashed`)
      return { ms }
    } finally {
      close()
    }
  })
}

/**
 * The station with per-board data against the same station with one common
 * image, `count` boards at once: a common folder (`image`'s bytes as one
 * file), and for each board its own folder and a pool row (a certificate and
 * a key), handed out through a ledger file. Both sides use the same folder.
 */
export async function provisioningJig(image, count, runs) {
  const dir = await mkdtemp(join(tmpdir(), 'flashdata-bench-'))
  try {
    const common = join(dir, 'common')
    await mkdir(common)
    // Room for the board's own files: the common file is 4 KiB short of the image.
    await writeFile(join(common, 'blob.bin'), image.subarray(0, image.length - 4096))
    const commonImage = (await buildImageFromPaths([common])).image
    const perBoard = async () => {
      const run = await mkdtemp(join(dir, 'run-'))
      const { bus, boards, close } = freshBoards(count)
      const rows = ['certs/device.crt,certs/device.key']
      for (const [i, board] of boards.entries()) {
        await mkdir(join(run, 'boards', board.serialNumber), { recursive: true })
        await writeFile(join(run, 'boards', board.serialNumber, 'id.txt'), board.serialNumber)
        await writeFile(join(run, `${i}.crt`), 'C'.repeat(1200))
        await writeFile(join(run, `${i}.key`), 'K'.repeat(240))
        rows.push(`${i}.crt,${i}.key`)
      }
      await writeFile(join(run, 'pool.csv'), `${rows.join('\n')}\n`)
      const ledger = new FileLedger(join(run, 'ledger.ndjson'), await loadPool(join(run, 'pool.csv')))
      const provisioner = await openProvisioner({ folder: common, perBoard: join(run, 'boards'), ledger })
      return { bus, close, prepare: provisioner.prepare }
    }
    const station = (setup) =>
      repeat(runs, async () => {
        const { bus, close, prepare } = await setup()
        try {
          const start = performance.now()
          const summary = await runJig({ bus, image: prepare ? undefined : commonImage, prepare, count })
          const ms = performance.now() - start
          if (summary.flashed !== count) throw new Error(`jig: ${summary.flashed} of ${count} boards flashed`)
          return { ms }
        } finally {
          close()
        }
      })
    const commonOnly = await station(async () => freshBoards(count))
    const provisioned = await station(perBoard)
    return { commonOnly, perBoard: provisioned }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Untimed runs of both hosts with instant timing, so the first timed run does not pay for JIT warm-up. */
export async function warmUp(image) {
  const {
    bus,
    boards: [board],
    close,
  } = freshBoards(1, { timing: 'instant' })
  try {
    await push({ bus, image, leave: false })
    await dfuUtilStyleDownload(board.device, ADDRESS, image, await cachedDescriptors(board.device))
  } finally {
    close()
  }
}
