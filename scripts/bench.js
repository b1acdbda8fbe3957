#!/usr/bin/env node
// flashdata benchmark: pushes onto emulated Electrons with datasheet timing,
// against the modelled floor and a dfu-util-style host, the jig with several
// boards (with and without the station page open), and CLI start-up. Prints a table, or one JSON object with --json.
// Run after `npm run build`:  node scripts/bench.js [--json] [--runs N] [--quick]
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { floorFor, makeImage } from './bench/lib.js'
import { dfuUtilStyle, freshPush, jig, provisioningJig, unchangedPush, warmUp } from './bench/measure.js'
import { printTable, targetsOf } from './bench/report.js'
import { firmwareFigures } from './bench/firmware.js'
import { startup } from './bench/startup.js'
import { stationPage } from './bench/station.js'

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
  },
})
const runs = args.runs ? Number(args.runs) : args.quick ? 3 : 5
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`)
const jigRuns = args.quick ? 1 : Math.min(runs, 3)
const log = (message) => process.stderr.write(`${message}\n`)

const SIZES = [4096, 32768, 131072]
const FULL = 131072
const KiB = FULL / 1024
const images = Object.fromEntries(SIZES.map((size) => [size, makeImage(size)]))

log(
  `flashdata bench: ${runs} runs per figure, ${jigRuns} per jig figure (Node ${process.versions.node}, ${availableParallelism()} CPUs)`,
)
await warmUp(images[FULL])
const floor = floorFor(FULL)
log('fresh pushes…')
const sizes = {}
for (const size of SIZES) sizes[size] = await freshPush(images[size], runs)
const fresh = sizes[FULL]
log('unchanged push…')
const unchanged = await unchangedPush(images[FULL], runs)
log('dfu-util-style host…')
const peer = await dfuUtilStyle(images[FULL], runs)
const jigs = {}
for (const boards of [1, 4, 8]) {
  log(`jig with ${boards} board(s)…`)
  jigs[boards] = await jig(images[FULL], boards, jigRuns)
}
log('jig with per-board data against a common image, 8 boards…')
const provisioning = await provisioningJig(images[FULL], 8, jigRuns)
log('jig with the station page open, 8 boards…')
// Alternating runs, at least 5 of each: the figure compares two noisy medians against a 2% limit.
const page = await stationPage(images[FULL], 8, Math.max(runs, 5))
log('CLI start-up…')
const cli = startup(Math.max(runs, 5))
log('firmware library, ARM build…')
const firmware = await firmwareFigures()

const range = ({ median, min, max, n }) => ({ median, min, max, n })
const perKiB = (counts) => Math.round((counts.total / KiB) * 1000) / 1000
const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits
const result = {
  floorMs: round(floor.ms, 1),
  freshMs: fresh.median,
  unchangedMs: unchanged.median,
  dfuUtilStyleMs: peer.median,
  transfersPerKiB: { flashdata: perKiB(fresh.typical.counts), dfuUtilStyle: perKiB(peer.typical.counts) },
  jig: { boards1Ms: jigs[1].median, boards4Ms: jigs[4].median, boards8Ms: jigs[8].median },
  startupMs: cli.version.median,
  startupBuildMs: cli.build.median,
  sizes: Object.fromEntries(SIZES.map((size) => [size, sizes[size].median])),
  ratios: {
    freshToFloor: round(fresh.median / floor.ms),
    unchangedToFresh: round(unchanged.median / fresh.median),
    dfuUtilStyleToFresh: round(peer.median / fresh.median),
    transfersDfuUtilStyleToFlashdata: round(peer.typical.counts.total / fresh.typical.counts.total),
    jig4ToOne: round(jigs[4].median / jigs[1].median),
    jig8ToOne: round(jigs[8].median / jigs[1].median),
    startupToBareNode: round(cli.version.median / cli.bareNode.median),
  },
  boardsPerMinute: Object.fromEntries([1, 4, 8].map((n) => [n, round((n * 60_000) / jigs[n].median, 1)])),
  provisioning: {
    commonOnlyMs: provisioning.commonOnly.median,
    perBoardMs: provisioning.perBoard.median,
    boardsPerMinute: {
      commonOnly: round((8 * 60_000) / provisioning.commonOnly.median, 1),
      perBoard: round((8 * 60_000) / provisioning.perBoard.median, 1),
    },
    perBoardToCommon: round(provisioning.perBoard.median / provisioning.commonOnly.median),
  },
  stationPage: {
    withoutMs: page.without.median,
    withPageMs: page.withPage.median,
    withToWithout: page.ratio,
    cpuMs: page.cpuMs,
    reader: page.reader,
    droppedPages: page.droppedPages,
  },
  floor: {
    eraseMs: floor.eraseMs,
    programMs: floor.programMs,
    writeBusMs: floor.writeBusMs,
    readBusMs: floor.readBusMs,
  },
  transfers: { flashdata: fresh.typical.counts.byKind, dfuUtilStyle: peer.typical.counts.byKind },
  breakdown: {
    fresh: {
      phases: fresh.typical.phases,
      phaseTransfers: fresh.typical.phaseTransfers,
      modelMs: round(fresh.typical.modelMs, 1),
      wallMs: round(fresh.typical.ms, 1),
    },
    unchanged: {
      phases: unchanged.typical.phases,
      phaseTransfers: unchanged.typical.phaseTransfers,
      modelMs: round(unchanged.typical.modelMs, 1),
      wallMs: round(unchanged.typical.ms, 1),
    },
    dfuUtilStyle: { modelMs: round(peer.typical.modelMs, 1), wallMs: round(peer.typical.ms, 1) },
    sizes: Object.fromEntries(
      SIZES.map((size) => [size, { floorMs: round(floorFor(size).ms, 1), phases: sizes[size].typical.phases }]),
    ),
  },
  stats: {
    freshMs: range(fresh),
    unchangedMs: range(unchanged),
    dfuUtilStyleMs: range(peer),
    sizes: Object.fromEntries(SIZES.map((size) => [size, range(sizes[size])])),
    jig: { boards1Ms: range(jigs[1]), boards4Ms: range(jigs[4]), boards8Ms: range(jigs[8]) },
    provisioning: { commonOnlyMs: range(provisioning.commonOnly), perBoardMs: range(provisioning.perBoard) },
    stationPage: { withoutMs: range(page.without), withPageMs: range(page.withPage) },
    startupMs: range(cli.version),
    startupBuildMs: range(cli.build),
    bareNodeMs: range(cli.bareNode),
  },
  runs: { perFigure: runs, jig: jigRuns, node: process.versions.node, cpus: availableParallelism() },
  firmware,
}
result.targets = targetsOf(result)

if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
else printTable(result)
