// The benchmark's targets and its plain-text table.

/** Each target: what is measured, the limit, and whether it is met. */
export function targetsOf(r) {
  const t = (name, value, limit, met) => ({ name, value, limit, met })
  return [
    t('fresh push / floor', r.ratios.freshToFloor, '≤ 1.10', r.ratios.freshToFloor <= 1.1),
    t('unchanged push / fresh push', r.ratios.unchangedToFresh, '≤ 0.15', r.ratios.unchangedToFresh <= 0.15),
    t(
      'control transfers per KiB, dfu-util-style / flashdata',
      r.ratios.transfersDfuUtilStyleToFlashdata,
      '≥ 1.3',
      r.ratios.transfersDfuUtilStyleToFlashdata >= 1.3,
    ),
    t('jig 8 boards / 1 board', r.ratios.jig8ToOne, '≤ 1.3', r.ratios.jig8ToOne <= 1.3),
    t(
      'jig with per-board data / common image, 8 boards',
      r.provisioning.perBoardToCommon,
      '≤ 1.05',
      r.provisioning.perBoardToCommon <= 1.05,
    ),
    t(
      'jig 8 boards, station page open / without',
      r.stationPage.withToWithout,
      '≤ 1.02',
      r.stationPage.withToWithout <= 1.02,
    ),
    t('flashdata --version start-up (ms)', r.startupMs, '< 200', r.startupMs < 200),
    t(
      'flashdata --version start-up / bare node -e 0',
      r.ratios.startupToBareNode,
      '≤ 1.3',
      r.ratios.startupToBareNode <= 1.3,
    ),
  ]
}

const ms = (x) => `${Math.round(x).toLocaleString('en-US')}`

function printRows(rows) {
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => String(row[i] ?? '').length)))
  for (const row of rows) {
    const [label, ...rest] = row.map((c) => String(c ?? ''))
    console.log(
      `  ${label.padEnd(widths[0])}  ${rest
        .slice(0, 3)
        .map((c, i) => c.padStart(widths[i + 1]))
        .join('  ')}  ${rest[3] ?? ''}`.trimEnd(),
    )
  }
}

const timeRow = (label, { median, min, max }, note) => [label, ms(median), ms(min), ms(max), note]

const phasesText = (phases) =>
  Object.entries(phases)
    .map(([p, v]) => `${p} ${v}`)
    .join(', ')
const kinds = (byKind) =>
  Object.entries(byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
const total = (byKind) => Object.values(byKind).reduce((a, b) => a + b, 0)

export function printTable(r) {
  const s = r.stats
  const f = r.breakdown.fresh
  console.log(
    `\nflashdata bench: emulated Electron, datasheet timing; ms, median of ${r.runs.perFigure} runs (jig: ${r.runs.jig}); Node ${r.runs.node}, ${r.runs.cpus} CPUs\n`,
  )
  printRows([
    ['', 'median', 'min', 'max', ''],
    [
      '1. modelled floor, 128 KiB',
      ms(r.floorMs),
      '',
      '',
      `erase ${ms(r.floor.eraseMs)} + program ${ms(r.floor.programMs)} + write bus ${ms(r.floor.writeBusMs)} + read-back bus ${ms(r.floor.readBusMs)}`,
    ],
    timeRow('2. push, fresh 128 KiB', s.freshMs, `${r.ratios.freshToFloor}× floor; phases ${phasesText(f.phases)}`),
    [
      '   traffic sent, as modelled',
      ms(f.modelMs),
      '',
      '',
      "erase + program + every transfer's modelled wire time; the rest of the wall time is the leave wait and host/timer slack",
    ],
    timeRow(
      '3. push, unchanged 128 KiB',
      s.unchangedMs,
      `${r.ratios.unchangedToFresh}× fresh; phases ${phasesText(r.breakdown.unchanged.phases)}`,
    ),
    timeRow(
      '4. dfu-util-style host, 128 KiB',
      s.dfuUtilStyleMs,
      `${r.ratios.dfuUtilStyleToFresh}× flashdata fresh; no verify, returns without waiting for the reset; traffic as modelled ${ms(r.breakdown.dfuUtilStyle.modelMs)}`,
    ),
    ...Object.entries(s.sizes).map(([size, st]) =>
      timeRow(`5. push, fresh ${Number(size) / 1024} KiB`, st, `floor ${ms(r.breakdown.sizes[size].floorMs)}`),
    ),
    ...[1, 4, 8].map((n) =>
      timeRow(
        `6. jig, ${n} board${n > 1 ? 's' : ''} at once`,
        s.jig[`boards${n}Ms`],
        `${r.boardsPerMinute[n]} boards/min${n > 1 ? `, ${r.ratios[`jig${n}ToOne`]}× one board` : ''}`,
      ),
    ),
    timeRow(
      '6b. jig, 8 boards, common image',
      s.provisioning.commonOnlyMs,
      `${r.provisioning.boardsPerMinute.commonOnly} boards/min`,
    ),
    timeRow(
      '6c. jig, 8 boards, per-board data',
      s.provisioning.perBoardMs,
      `${r.provisioning.boardsPerMinute.perBoard} boards/min, ${r.provisioning.perBoardToCommon}× common (own folder + pool row + ledger)`,
    ),
    timeRow('6d. jig, 8 boards, no station page', s.stationPage.withoutMs, 'alternating with 6e'),
    timeRow(
      '6e. jig, 8 boards, station page open',
      s.stationPage.withPageMs,
      `${r.stationPage.withToWithout}× without (the page: ${r.stationPage.reader})`,
    ),
    timeRow(
      '7. flashdata --version',
      s.startupMs,
      `${r.ratios.startupToBareNode}× bare node -e 0 (${ms(s.bareNodeMs.median)})`,
    ),
    timeRow('   flashdata build examples/data', s.startupBuildMs),
  ])
  console.log('\nControl transfers, 128 KiB (per KiB):')
  printRows([
    [
      'flashdata push (with verify)',
      total(r.transfers.flashdata),
      `(${r.transfersPerKiB.flashdata})`,
      '',
      kinds(r.transfers.flashdata),
    ],
    ['   by phase', '', '', '', phasesText(f.phaseTransfers)],
    [
      'dfu-util-style (no verify)',
      total(r.transfers.dfuUtilStyle),
      `(${r.transfersPerKiB.dfuUtilStyle})`,
      '',
      kinds(r.transfers.dfuUtilStyle),
    ],
  ])
  printFirmware(r.firmware)
  console.log('\nTargets:')
  printRows(r.targets.map((t) => [t.name, t.value, t.limit, t.met ? 'met' : 'MISSED']))
  console.log('')
}

function printFirmware(f) {
  if (!f) {
    console.log('\nFirmware library: arm-none-eabi-g++ not installed (gcc-arm-none-eabi), no ARM figures')
    return
  }
  console.log('\nFirmware library, arm-none-eabi-g++ -mcpu=cortex-m3 -mthumb -Os (arm-none-eabi-size):')
  printRows([
    ...f.objects.map((o) => [
      `   ${o.file}`,
      `${o.text + o.data} B`,
      '',
      '',
      `text ${o.text}, data ${o.data}, bss ${o.bss}`,
    ]),
    ['   library, flash / RAM', `${f.armBytes} B`, `${f.ramBytes} B`, '', ''],
    [
      'CRC-32, per KiB (estimate)',
      `${f.crc.usPerKiB} µs`,
      '',
      '',
      `${f.crc.instructions} instructions per byte (${f.crc.loop.join(' ')}), ${f.crc.coreCycles} cycles + 2.8 flash wait-state cycles at ${f.crc.cpuMHz} MHz`,
    ],
  ])
}
