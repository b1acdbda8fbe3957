#!/usr/bin/env node
/**
 * The bridge flood, run inside the bench VM by flood.sh (npm run flood:usb):
 * one bridged board with datasheet flash timing and every peer taking turns
 * on it, one command at a time, until a count or a time bound is reached.
 *
 *   flood.vm.js [--commands N] [--minutes M] [--only TEXT]
 *
 * Each command is a separate process: dfu-util -D and -U, flashdata push
 * --force --no-leave, flashdata verify, the DFU switch and back (flashdata dfu
 * and reset), and particle-usb's open/getDeviceId/getSerialNumber,
 * enterDfuMode and reset. Prints one line per command, then, for each
 * failure, its output and the bridge's log from the command's start, and last
 * 'N passed, M failed'. Exit 0 when none failed, 1 otherwise.
 * Logs: $BENCH_OUT (the run directory, kept by FLASHDATA_BENCH_KEEP=1) or a
 * /tmp folder; the bridge log is bridge-flood.log there.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  BridgedBoard,
  DFU_PRODUCT,
  FIRMWARE_PRODUCT,
  REPO,
  flashdata,
  loadUsbStack,
  run,
  usbDevices,
  waitForDevice,
} from '../../test-usb/bench.js'

const { values: opts } = parseArgs({
  options: { commands: { type: 'string' }, minutes: { type: 'string' }, only: { type: 'string' } },
})
const maxCommands = opts.commands === undefined ? Number.POSITIVE_INFINITY : Number(opts.commands)
const minutes =
  opts.minutes === undefined ? (opts.commands === undefined ? 7 : Number.POSITIVE_INFINITY) : Number(opts.minutes)
if (!(maxCommands > 0) || !(minutes > 0)) {
  console.error('usage: flood.vm.js [--commands N] [--minutes M] [--only TEXT] (N and M positive)')
  process.exit(2)
}

const SERIAL = 'e00fce68f10d0000c0ffee01'
const SECTOR = 0x080a0000
const LOGS = process.env.BENCH_OUT ?? mkdtempSync('/tmp/usb-flood-')
const BRIDGE_LOG = `${LOGS}/bridge-flood.log`
const work = mkdtempSync('/tmp/usb-flood-work-')

/** Two images of random files built by the CLI, written in turns so each write changes the sector. */
async function image(name, sizes) {
  const folder = `${work}/${name}`
  mkdirSync(folder)
  for (const [i, size] of sizes.entries()) writeFileSync(`${folder}/file${i}.bin`, randomBytes(size))
  const out = await flashdata(['build', folder, '-o', `${folder}.bin`, '--epoch', '1700000000', '--json'])
  if (out.code !== 0) throw new Error(`flashdata build failed: ${out.stderr}`)
  return { file: `${folder}.bin`, bytes: readFileSync(`${folder}.bin`) }
}

const inMode = (product) => usbDevices().some((d) => d.serial === SERIAL && d.productId === product && d.configured)
const mode = () => (inMode(DFU_PRODUCT) ? 'dfu' : inMode(FIRMWARE_PRODUCT) ? 'firmware' : 'absent')
// libusb builds that use udev (particle-usb's) see a re-enumerated board only once udevd has handled it.
const settle = () => run('udevadm', ['settle', '--timeout=60'])

const dfuUtil = (...args) => run('dfu-util', ['-d', '2b04:d00a', '-S', SERIAL, '-a', '0', ...args])
const particle = (op) => run('node', [`${REPO}scripts/usb-bench/particle-usb-op.js`, op, SERIAL])

/**
 * The commands, in the order they take turns: each names the mode it needs
 * and the mode it leaves, and returns { ok, output }.
 */
function commands(images) {
  let next = 0
  const other = () => images[next++ % images.length]
  let written = images[0]
  const checked = (out, extra = true) => ({ ok: out.code === 0 && extra, output: `${out.stdout}${out.stderr}` })
  return [
    {
      name: 'dfu-util -D',
      needs: 'dfu',
      leaves: 'dfu',
      async run() {
        written = other()
        return checked(await dfuUtil('-s', `0x${SECTOR.toString(16)}`, '-D', written.file))
      },
    },
    {
      name: 'flashdata verify',
      needs: 'dfu',
      leaves: 'dfu',
      async run() {
        const out = await flashdata(['verify', written.file, '--serial', SERIAL, '--json'])
        return checked(out, out.result?.status === 'match')
      },
    },
    {
      name: 'flashdata push --force --no-leave',
      needs: 'dfu',
      leaves: 'dfu',
      async run() {
        written = other()
        return checked(await flashdata(['push', written.file, '--force', '--no-leave', '--serial', SERIAL, '--json']))
      },
    },
    {
      name: 'dfu-util -U',
      needs: 'dfu',
      leaves: 'dfu',
      async run() {
        // dfu-util -U refuses an existing file.
        const file = `${work}/upload-${Date.now()}.bin`
        const out = await dfuUtil('-s', `0x${SECTOR.toString(16)}:${written.bytes.length}`, '-U', file)
        const same = out.code === 0 && Buffer.compare(readFileSync(file), written.bytes) === 0
        return checked(out, same)
      },
    },
    {
      name: 'flashdata reset',
      needs: 'dfu',
      leaves: 'firmware',
      run: async () => checked(await flashdata(['reset', '--serial', SERIAL, '--json'])),
    },
    {
      name: 'particle-usb info',
      needs: 'firmware',
      leaves: 'firmware',
      run: async () => checked(await particle('info')),
    },
    {
      name: 'particle-usb enterDfuMode',
      needs: 'firmware',
      leaves: 'dfu',
      run: async () => checked(await particle('enter-dfu')),
    },
    {
      name: 'particle-usb reset (leave)',
      needs: 'dfu',
      leaves: 'firmware',
      run: async () => checked(await particle('reset')),
    },
    {
      name: 'flashdata dfu',
      needs: 'firmware',
      leaves: 'dfu',
      run: async () => checked(await flashdata(['dfu', '--serial', SERIAL, '--json'])),
    },
  ]
}

/** The bridge log from byte `from` on (what the bridge saw during one command). */
function logSince(from) {
  const size = statSync(BRIDGE_LOG).size
  const length = Math.min(size - from, 64 * 1024)
  const buffer = Buffer.alloc(length)
  const fd = openSync(BRIDGE_LOG, 'r')
  readSync(fd, buffer, 0, length, size - length)
  return buffer.toString('utf8')
}

/** After a failed command: the board back in `wanted` mode, by a replug if it is not on the bus. */
async function recover(board, wanted) {
  if (mode() === 'absent') {
    board.plugIn('dfu')
    await waitForDevice(SERIAL, DFU_PRODUCT)
  }
  if (mode() !== wanted) {
    await flashdata([wanted === 'dfu' ? 'dfu' : 'reset', '--serial', SERIAL, '--json'])
    await waitForDevice(SERIAL, wanted === 'dfu' ? DFU_PRODUCT : FIRMWARE_PRODUCT)
  }
}

loadUsbStack()
const board = new BridgedBoard(SERIAL, { mode: 'dfu', timing: 'datasheet', log: BRIDGE_LOG })
await board.next('attached')
await waitForDevice(SERIAL, DFU_PRODUCT)
const images = [await image('a', [60_000, 30_000, 1200]), await image('b', [100_000, 700])]
// --only TEXT keeps the commands whose names hold it (e.g. particle-usb: its three, in turns).
const list = commands(images).filter((command) => !opts.only || command.name.includes(opts.only))
const deadline = Date.now() + minutes * 60_000
const failures = []
let passed = 0
let count = 0
console.log(`flood: board ${SERIAL}, datasheet timing, logs in ${LOGS}`)
for (let i = 0; count < maxCommands && Date.now() < deadline; i++) {
  const command = list[i % list.length]
  if (mode() !== command.needs) await recover(board, command.needs)
  if (command.name.startsWith('particle-usb')) await settle()
  const logFrom = statSync(BRIDGE_LOG).size
  const started = performance.now()
  let result
  try {
    result = await command.run()
  } catch (error) {
    result = { ok: false, output: String(error?.stack ?? error) }
  }
  if (result.ok) {
    // The command is done only when the board is back on the bus in the mode it leaves.
    await waitForDevice(SERIAL, command.leaves === 'dfu' ? DFU_PRODUCT : FIRMWARE_PRODUCT, 60_000).catch((error) => {
      result = { ok: false, output: String(error.message) }
    })
  }
  count++
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`${String(count).padStart(4)} ${command.name.padEnd(34)} ${result.ok ? 'ok  ' : 'FAIL'} ${seconds} s`)
  if (result.ok) passed++
  else failures.push({ count, name: command.name, output: result.output, bridge: logSince(logFrom) })
}
await board.quit()
for (const f of failures) {
  console.log(
    `\n--- failure at command ${f.count}: ${f.name}\n${f.output.trim()}\n--- bridge log from its start:\n${f.bridge.trim()}`,
  )
}
console.log(`${passed} passed, ${failures.length} failed`)
process.exit(failures.length ? 1 : 0)
