/**
 * The real-USB tier, run inside the bench VM (npm run test:usb): the
 * project's EmulatedElectron served over dummy_hcd by the gadget bridge, with
 * dfu-util as an independent peer and the flashdata CLI through the `usb`
 * package, all in one boot. The emulator runs in datasheet timing throughout.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { randomBytes } from 'node:crypto'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import {
  BridgedBoard,
  DFU_PRODUCT,
  flashdata,
  loadUsbStack,
  FIRMWARE_PRODUCT,
  REPO,
  run,
  sleep,
  usbDevices,
  waitForDevice,
} from './bench.js'

const SERIAL = 'e00fce68a1b2c3d4e5f60718'
const SECOND_SERIAL = 'e00fce68b2c3d4e5f6071829'
const OLD_OS_SERIAL = 'e00fce68c3d4e5f607182930'
const QUIT_SERIAL = 'e00fce68d4e5f60718293041'
const DATA_SECTOR = 0x080a0000
const SECTOR_BYTES = 128 * 1024
/** Fixed build time, so an image built from a folder and the folder itself compare equal. */
const EPOCH = '1700000000'
const LOGS = process.env.BENCH_OUT ?? mkdtempSync('/tmp/usb-bench-logs-')
const work = mkdtempSync('/tmp/usb-bench-')
const timings = []
/** Whole-process ratios printed after the run: speed is reported, never asserted. */
const ratios = []
/** Lines printed with them: what the figures are made of. */
const notes = []
let board

/** A flashdata image of random files of these sizes, built by the CLI (at EPOCH); `exactBytes` pads the last file to reach that image size. */
async function image(name, sizes, exactBytes) {
  const folder = `${work}/${name}`
  mkdirSync(folder)
  const build = async () => {
    for (const [i, size] of sizes.entries()) writeFileSync(`${folder}/file${i}.bin`, randomBytes(size))
    const built = await flashdata(['build', folder, '-o', `${folder}.bin`, '--epoch', EPOCH, '--json', '--force'])
    assert.equal(built.code, 0, built.stderr)
    return readFileSync(`${folder}.bin`)
  }
  let bytes = await build()
  if (exactBytes && bytes.length !== exactBytes) {
    sizes[sizes.length - 1] += exactBytes - bytes.length
    bytes = await build()
    assert.equal(bytes.length, exactBytes)
  }
  return { folder, file: `${folder}.bin`, bytes }
}

const dfuUtil = (...args) => run('dfu-util', ['-d', '2b04:d00a', '-S', SERIAL, ...args])
const ok = (out) => assert.equal(out.code, 0, `exit ${out.code}\n${out.stdout}\n${out.stderr}`)
const cliOk = (out) => assert.equal(out.code, 0, `exit ${out.code}\n${out.stdout}\n${out.stderr}`)
const onBus = (serial, productId) =>
  usbDevices().some((d) => d.serial === serial && d.productId === productId && d.configured)

/** Brings the main board into `mode` with flashdata's own commands, whatever the test before left. */
async function ensureMode(mode) {
  const product = mode === 'dfu' ? DFU_PRODUCT : FIRMWARE_PRODUCT
  if (onBus(SERIAL, product)) return
  if (!onBus(SERIAL, DFU_PRODUCT) && !onBus(SERIAL, FIRMWARE_PRODUCT)) {
    board.plugIn()
    await waitForDevice(SERIAL)
    if (onBus(SERIAL, product)) return
  }
  cliOk(await flashdata([mode === 'dfu' ? 'dfu' : 'reset', '--serial', SERIAL, '--json']))
  await waitForDevice(SERIAL, product)
}

before(async () => {
  loadUsbStack()
  board = new BridgedBoard(SERIAL, { log: `${LOGS}/bridge.log` })
  await board.next('attached')
  await waitForDevice(SERIAL, DFU_PRODUCT)
})

after(async () => {
  await board?.quit()
  if (timings.length) {
    console.log(
      '\nThe same 128 KiB image over real USB (dummy_hcd, full speed, TCG VM; emulator in datasheet flash timing):',
    )
    for (const t of timings) console.log(`  ${t.label.padEnd(62)} ${(t.ms / 1000).toFixed(2)} s`)
  }
  if (ratios.length) {
    console.log('\nWhole-process ratios in this boot (best of 3 each; TCG magnifies start-up, so only ratios compare):')
    for (const r of ratios)
      console.log(
        `  ${r.label.padEnd(62)} ${r.ratio.toFixed(2)}x${r.target === undefined ? '' : ` (target <= ${r.target.toFixed(1)}x: ${r.ratio <= r.target ? 'met' : 'not met'})`}`,
      )
  }
  for (const note of notes) console.log(`  ${note}`)
})

test('dfu-util -l lists both alternate settings with their names and the serial', async () => {
  const out = await run('dfu-util', ['-l'])
  ok(out)
  const found = out.stdout.split('\n').filter((line) => line.startsWith('Found DFU: [2b04:d00a]'))
  assert.equal(found.length, 2, out.stdout)
  assert.ok(
    found.some((l) => l.includes('alt=0, name="@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg"')),
    out.stdout,
  )
  assert.ok(
    found.some((l) => l.includes('alt=1, name="@DCT Flash   /0x00000000/01*016Kg"')),
    out.stdout,
  )
  assert.ok(
    found.every((l) => l.includes(`serial="${SERIAL}"`) && l.includes('ver=0250')),
    out.stdout,
  )
})

test('lsusb decodes the DFU functional descriptor as the real board presents it', async () => {
  const out = await run('lsusb', ['-v', '-d', '2b04:d00a'])
  for (const field of [
    /bcdDevice\s+2\.50/,
    /bMaxPacketSize0\s+64/,
    /iProduct\s+2 Electron DFU Mode/,
    /bmAttributes\s+11/,
    /wDetachTimeout\s+255/,
    /wTransferSize\s+4096/,
    /bcdDFUVersion\s+1\.1a/,
  ]) {
    assert.match(out.stdout, field)
  }
})

test('dfu-util reads the DCT through alt 1 (the bridge learns the alt from the host side)', async () => {
  await ensureMode('dfu')
  const dct = `${work}/dct.bin`
  ok(await dfuUtil('-a', '1', '-s', '0x00000000:16', '-U', dct))
  assert.equal(readFileSync(dct).length, 16)
  const wrongAlt = await dfuUtil('-a', '0', '-s', '0x00000000:16', '-U', `${work}/not-dct.bin`)
  assert.notEqual(wrongAlt.code, 0, 'address 0 is not in the internal flash of alt 0')
})

test('dfu-util writes a flashdata image to 0x080A0000 with :leave, and flashdata verify accepts it', async () => {
  await ensureMode('dfu')
  const a = await image('a', [3000, 20_000, 7])
  ok(await dfuUtil('-a', '0', '-s', `0x${DATA_SECTOR.toString(16)}:leave`, '-D', a.file))
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT) // the board restarts its firmware
  const verify = await flashdata(['verify', a.file, '--serial', SERIAL, '--json'])
  cliOk(verify)
  assert.equal(verify.result.status, 'match')
  // verify leaves DFU mode as it found the board but returns before the reset: the next test must not find it about to go.
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
})

/** Everything in alt 0's internal flash but sector 9, read with dfu-util: [below, above]. */
async function outsideSector9(name) {
  const parts = [
    ['0x08000000', DATA_SECTOR - 0x08000000],
    [`0x${(DATA_SECTOR + SECTOR_BYTES).toString(16)}`, 0x08100000 - DATA_SECTOR - SECTOR_BYTES],
  ]
  const out = []
  for (const [i, [address, length]] of parts.entries()) {
    const file = `${work}/${name}.${i}.bin`
    ok(await dfuUtil('-a', '0', '-s', `${address}:${length}`, '-U', file))
    out.push(readFileSync(file))
  }
  return out
}

test('a .dfu file from flashdata build passes dfu-suffix -c and dfu-util -D writes it to sector 9 alone; flashdata verify of the folder passes', async () => {
  await ensureMode('dfu')
  const f = await image('dfu', [9000, 30_000])
  const dfuFile = `${f.folder}.dfu`
  cliOk(await flashdata(['build', f.folder, '-o', dfuFile, '--epoch', EPOCH, '--json']))
  const suffix = await run('dfu-suffix', ['-c', dfuFile])
  ok(suffix)
  assert.match(suffix.stdout, /Product ID:\s+0xD00A/)
  assert.match(suffix.stdout, /Vendor ID:\s+0x2B04/)
  assert.match(suffix.stdout, /BCD DFU:\s+0x011A/)
  const before = await outsideSector9('outside.before')
  const download = await dfuUtil('-a', '0', '-D', dfuFile)
  ok(download)
  // dfu-util read the container, not a raw file: one target for alt 0, its element at sector 9.
  assert.match(download.stdout, /File contains 1 DFU images/)
  assert.match(download.stdout, new RegExp(`address = 0x080a0000, size = ${f.bytes.length}\\b`))
  assert.doesNotMatch(download.stdout + download.stderr, /Invalid DFU suffix/)
  const verify = await flashdata(['verify', f.folder, '--epoch', EPOCH, '--serial', SERIAL, '--json'])
  cliOk(verify)
  assert.equal(verify.result.status, 'match')
  assert.deepEqual(await outsideSector9('outside.after'), before, 'nothing outside sector 9 changed')
})

test('flashdata push writes an image and dfu-util -U reads back the same bytes', async () => {
  const b = await image('b', [40_000, 1234])
  cliOk(await flashdata(['push', b.file, '--serial', SERIAL, '--no-leave', '--json']))
  await waitForDevice(SERIAL, DFU_PRODUCT)
  const back = `${work}/b.read.bin`
  ok(await dfuUtil('-a', '0', '-s', `0x${DATA_SECTOR.toString(16)}:${b.bytes.length}`, '-U', back))
  assert.deepEqual(readFileSync(back), b.bytes)
})

test('dfu-util cannot write below 0x08020000, as on a real board', async () => {
  await ensureMode('dfu')
  const before = `${work}/protected.before.bin`
  const afterRead = `${work}/protected.after.bin`
  ok(await dfuUtil('-a', '0', '-s', '0x08010000:4096', '-U', before))
  writeFileSync(`${work}/small.bin`, randomBytes(4096))
  const out = await dfuUtil('-a', '0', '-s', '0x08010000', '-D', `${work}/small.bin`)
  assert.notEqual(out.code, 0, out.stdout)
  assert.match(out.stdout + out.stderr, /get_status|ERASE|stall|Error/i)
  ok(await dfuUtil('-a', '0', '-s', '0x08010000:4096', '-U', afterRead))
  assert.deepEqual(readFileSync(afterRead), readFileSync(before))
})

test('flashdata devices lists the board over the usb package', async () => {
  await ensureMode('dfu')
  const out = await flashdata(['devices', '--json'])
  cliOk(out)
  const boards = out.result.boards
  assert.equal(boards.length, 1, JSON.stringify(boards))
  assert.equal(boards[0].serial, SERIAL)
  assert.equal(boards[0].mode, 'dfu')
  assert.equal(boards[0].productId, 0xd00a)
})

test('flashdata push, verify and pull round-trip through the usb package, leaving and re-enumerating', async () => {
  const c = await image('c', [60_000, 5000, 100])
  const oldDevnum = usbDevices().find((d) => d.serial === SERIAL)?.devnum
  cliOk(await flashdata(['push', c.file, '--serial', SERIAL, '--json']))
  const normal = await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
  assert.notEqual(normal.devnum, oldDevnum, 'the board re-enumerated')
  // verify and pull switch the board to DFU mode and leave it as they found it, but return
  // before it is back on the bus: the next command would find no board without --wait.
  cliOk(await flashdata(['verify', c.folder, '--epoch', EPOCH, '--serial', SERIAL, '--json']))
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
  cliOk(await flashdata(['verify', c.file, '--serial', SERIAL, '--json']))
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
  const pulled = `${work}/c.pulled.bin`
  cliOk(await flashdata(['pull', '-o', pulled, '--serial', SERIAL, '--json']))
  assert.deepEqual(readFileSync(pulled), c.bytes)
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
})

test('flashdata dfu switches a board running firmware into DFU mode (control request 50), and reset brings it back', async () => {
  await ensureMode('firmware')
  const dfu = await flashdata(['dfu', '--serial', SERIAL, '--json'])
  cliOk(dfu)
  assert.equal(JSON.stringify(dfu.events).includes('line-coding'), false, 'switched by request 50')
  await waitForDevice(SERIAL, DFU_PRODUCT)
  cliOk(await flashdata(['reset', '--serial', SERIAL, '--json']))
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
})

test('a board with Device OS 0.7.0 (no request 50) is switched by flashdata with 14400 baud', async () => {
  await ensureMode('dfu') // GadgetFS serves one board in firmware mode at a time
  const old = new BridgedBoard(OLD_OS_SERIAL, { mode: 'firmware', deviceOs: '0.7.0', log: `${LOGS}/bridge-old-os.log` })
  try {
    await old.next('attached')
    await waitForDevice(OLD_OS_SERIAL, FIRMWARE_PRODUCT)
    const dfu = await flashdata(['dfu', '--serial', OLD_OS_SERIAL, '--json'])
    cliOk(dfu)
    assert.match(JSON.stringify(dfu.events), /line-coding/)
    await waitForDevice(OLD_OS_SERIAL, DFU_PRODUCT)
  } finally {
    await old.quit()
  }
})

/**
 * Sets a tty to any baud rate, as a terminal program would: GNU stty only
 * knows the POSIX rates (14400 is not one), so termios2 with BOTHER through
 * python3's ioctl. Keeps the port open a second so that cdc_acm's
 * SET_LINE_CODING is not followed at once by the close's requests.
 */
const SET_BAUD = `
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
TCGETS2, TCSETS2, CBAUD, BOTHER = 0x802C542A, 0x402C542B, 0o10017, 0o10000
t = bytearray(fcntl.ioctl(fd, TCGETS2, bytes(44)))
cflag = struct.unpack_from('<I', t, 8)[0]
struct.pack_into('<I', t, 8, (cflag & ~(CBAUD | CBAUD << 16)) | BOTHER)
struct.pack_into('<2I', t, 36, int(sys.argv[2]), int(sys.argv[2]))
fcntl.ioctl(fd, TCSETS2, bytes(t))
time.sleep(1)
`
const hasPython = spawnSync('python3', ['-c', '']).status === 0

test('14400 baud set on the CDC port through cdc_acm switches the board into DFU mode', {
  skip: !hasPython && 'python3 is not installed (needed to set a non-POSIX baud rate on the tty)',
}, async () => {
  await ensureMode('firmware')
  const tty = await waitForTty()
  // The board resets from inside the request: the port may vanish under the program.
  const set = await run('python3', ['-c', SET_BAUD, tty, '14400'])
  try {
    await waitForDevice(SERIAL, DFU_PRODUCT, 5000)
  } catch (error) {
    throw new Error(`${error.message}\nsetting ${tty} to 14400 baud: exit ${set.code} ${set.stderr}`)
  }
})

test('a bridge quits while its board runs firmware, cdc_acm bound and its tty open, and the next board enumerates there', async () => {
  await ensureMode('dfu') // GadgetFS serves one board in firmware mode at a time
  const first = new BridgedBoard(QUIT_SERIAL, { mode: 'firmware', log: `${LOGS}/bridge-quit.log` })
  await first.next('attached')
  await waitForDevice(QUIT_SERIAL, FIRMWARE_PRODUCT)
  // exec: the holder is the sleep itself, so killing it closes the tty (a child sleep kept it open, and cdc_acm in use, for 120 s).
  const holder = spawn('sh', ['-c', `exec 3<${await waitForTty()}; exec sleep 120`], { stdio: 'ignore' })
  try {
    await first.quit()
  } finally {
    holder.kill()
  }
  assert.equal(first.exitCode, 0)
  assert.equal(
    usbDevices().some((d) => d.serial === QUIT_SERIAL),
    false,
  )
  // The kernel is still sound: a new GadgetFS board enumerates and answers its control requests.
  const next = new BridgedBoard(QUIT_SERIAL, { mode: 'firmware', log: `${LOGS}/bridge-quit-next.log` })
  try {
    await next.next('attached')
    await waitForDevice(QUIT_SERIAL, FIRMWARE_PRODUCT)
    const listed = await flashdata(['devices', '--serial', QUIT_SERIAL, '--json'])
    cliOk(listed)
    assert.deepEqual(
      listed.result.boards.map((b) => [b.mode, b.deviceOs]),
      [['firmware', '2.3.1']],
    )
  } finally {
    await next.quit()
  }
  assert.equal(next.exitCode, 0)
})

async function waitForTty() {
  for (let i = 0; i < 100; i++) {
    const name = readdirSync('/sys/class/tty').find((entry) => entry.startsWith('ttyACM'))
    // The device node comes a moment after the sysfs entry; opening a missing one would create a plain file there.
    if (name && statSync(`/dev/${name}`, { throwIfNoEntry: false })?.isCharacterDevice()) return `/dev/${name}`
    await sleep(50)
  }
  throw new Error('cdc_acm did not bind to the board (no ttyACM device)')
}

test('a cable pull in the middle of a write fails the push with DISCONNECTED (exit 11), and a retry succeeds', async () => {
  await ensureMode('dfu')
  const d = await image('d', [100_000, 20_000])
  let pulled = false
  try {
    const cablePull = await flashdata(['push', d.file, '--serial', SERIAL, '--json', '--force'], {
      onEvent: (event) => {
        // Pull once the write is under way (after the 1 s sector erase).
        if (!pulled && event.type === 'progress' && event.phase === 'write' && event.bytes >= 16_384) {
          pulled = true
          board.unplug()
        }
      },
    })
    assert.ok(pulled, `the write never got under way: ${cablePull.stdout}`)
    // The usb package reports the cut transfer as EPROTO; flashdata sees the board leave and says DISCONNECTED.
    assert.equal(cablePull.code, 11, cablePull.stdout + cablePull.stderr)
    assert.equal(cablePull.result.code, 'DISCONNECTED', JSON.stringify(cablePull.result))
  } finally {
    if (pulled) board.plugIn()
  }
  await board.next('attached')
  cliOk(await flashdata(['push', d.file, '--serial', SERIAL, '--json', '--wait', '15']))
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
  cliOk(await flashdata(['verify', d.file, '--serial', SERIAL, '--json']))
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
})

/** Another process holding the board's DFU interface (as dfu-util or a second flashdata would) until killed. */
const HOLD_INTERFACE = `
const { WebUSB } = require('usb')
;(async () => {
  const device = (await new WebUSB({ allowAllDevices: true }).getDevices()).find((d) => d.serialNumber === process.argv[1])
  await device.open()
  await device.claimInterface(0)
  process.stdout.write('held\\n')
  setInterval(() => {}, 1000)
})().catch((error) => { console.error(error); process.exit(1) })`

test('a push while another process holds the DFU interface is BUSY (exit 17) and erases nothing; once released it goes through', async () => {
  await ensureMode('dfu')
  const d = await image('held', [30_000])
  const holder = spawn('node', ['-e', HOLD_INTERFACE, SERIAL], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve, reject) => {
    holder.stdout.once('data', resolve)
    holder.once('exit', (code) => reject(new Error(`the holder exited (${code}) before claiming the interface`)))
  })
  try {
    const busy = await flashdata(['push', d.file, '--serial', SERIAL, '--no-leave', '--json'])
    assert.equal(busy.code, 17, `${busy.stdout}\n${busy.stderr}`)
    assert.equal(busy.result.code, 'BUSY')
    assert.ok(!busy.events.some((e) => e.phase === 'erase'), 'nothing was erased')
  } finally {
    holder.kill()
    await once(holder, 'exit')
  }
  cliOk(await flashdata(['push', d.file, '--serial', SERIAL, '--no-leave', '--json']))
})

test('two boards on two dummy UDCs: devices lists both, --serial picks one, an unknown serial finds none', async () => {
  await ensureMode('dfu')
  const second = new BridgedBoard(SECOND_SERIAL, { log: `${LOGS}/bridge-second.log` })
  try {
    await second.next('attached')
    await waitForDevice(SECOND_SERIAL, DFU_PRODUCT)
    const listed = await flashdata(['devices', '--json'])
    cliOk(listed)
    assert.deepEqual(listed.result.boards.map((b) => b.serial).sort(), [SERIAL, SECOND_SERIAL].sort())
    const before = `${work}/first.before.bin`
    ok(await dfuUtil('-a', '0', '-s', `0x${DATA_SECTOR.toString(16)}:4096`, '-U', before))
    const e = await image('e', [10_000])
    cliOk(await flashdata(['push', e.file, '--serial', SECOND_SERIAL, '--no-leave', '--json']))
    const back = `${work}/second.read.bin`
    ok(
      await run('dfu-util', [
        '-d',
        '2b04:d00a',
        '-S',
        SECOND_SERIAL,
        '-a',
        '0',
        '-s',
        `0x${DATA_SECTOR.toString(16)}:${e.bytes.length}`,
        '-U',
        back,
      ]),
    )
    assert.deepEqual(readFileSync(back), e.bytes)
    const after = `${work}/first.after.bin`
    ok(await dfuUtil('-a', '0', '-s', `0x${DATA_SECTOR.toString(16)}:4096`, '-U', after))
    assert.deepEqual(readFileSync(after), readFileSync(before), 'the other board is untouched')
    const none = await flashdata(['verify', '--serial', 'ffffffffffffffffffffffff', '--json', '--wait', '1'])
    assert.equal(none.code, 5, none.stdout + none.stderr)
  } finally {
    await second.quit()
  }
})

/** The fastest of `runs` runs of one command (whole-process wall time), with that run's output. */
async function fastest(runs, once) {
  let best
  for (let i = 0; i < runs; i++) {
    const out = await once()
    if (!best || out.ms < best.ms) best = out
  }
  return best
}

test('timing: whole commands against dfu-util -D and bare node, as ratios in this boot (best of 3; printed, never failed on)', async () => {
  await ensureMode('dfu')
  const big = await image('big', [60_000, 60_000, 8000], SECTOR_BYTES)
  const viaDfuUtil = await fastest(3, async () => {
    const out = await dfuUtil('-a', '0', '-s', `0x${DATA_SECTOR.toString(16)}`, '-D', big.file)
    ok(out)
    return out
  })
  timings.push({ label: `dfu-util -D (${big.bytes.length} bytes: erase + write)`, ms: viaDfuUtil.ms })
  // Like for like with a push's read-back: dfu-util reading the image's length after it wrote it.
  let uploads = 0
  const viaDfuUtilUpload = await fastest(3, async () => {
    const out = await dfuUtil(
      '-a',
      '0',
      '-s',
      `0x${DATA_SECTOR.toString(16)}:${big.bytes.length}`,
      '-U',
      `${work}/big.up${uploads++}.bin`,
    )
    ok(out)
    return out
  })
  timings.push({ label: `dfu-util -U (${big.bytes.length} bytes: read)`, ms: viaDfuUtilUpload.ms })
  // What any Node.js program on the `usb` package needs at least for the same write and its read-back.
  const floor = await fastest(3, async () => {
    const out = await run('node', [`${REPO}test-usb/dfuse-floor.js`, SERIAL, big.file])
    ok(out)
    return out
  })
  timings.push({ label: 'least Node.js + usb program (erase + write + verify)', ms: floor.ms })
  notes.push(`least Node.js + usb program, its phases (ms): ${floor.stdout.trim()}`)
  // --force: the board already holds this image, flashdata must write it all again.
  const forced = await fastest(3, async () => {
    const out = await flashdata(['push', big.file, '--serial', SERIAL, '--force', '--no-leave', '--json'])
    cliOk(out)
    assert.equal(out.result.status, 'flashed')
    return out
  })
  timings.push({ label: 'flashdata push --force --no-leave (same image: erase + write + verify)', ms: forced.ms })
  timings.push(
    ...Object.entries(forced.result.phases ?? {}).map(([phase, ms]) => ({ label: `  flashdata phase ${phase}`, ms })),
  )
  timings.push({ label: '  outside the job (wall time - totalMs)', ms: forced.ms - forced.result.totalMs })
  const transfers = Object.entries(forced.result.transfers).filter(([, n]) => n > 0)
  notes.push(
    `flashdata push --force: ${transfers.reduce((sum, [, n]) => sum + n, 0)} control transfers in the job (${transfers.map(([kind, n]) => `${kind} ${n}`).join(', ')});` +
      ' dfu-util -D sends a SET_ADDRESS and a DNLOAD per 4 KiB block, each followed by two GETSTATUS (about 200 for 128 KiB)',
  )
  const unchanged = await fastest(3, async () => {
    const out = await flashdata(['push', big.file, '--serial', SERIAL, '--no-leave', '--json'])
    cliOk(out)
    assert.equal(out.result.status, 'unchanged')
    return out
  })
  timings.push({ label: 'flashdata push --no-leave (unchanged: header + compare)', ms: unchanged.ms })
  timings.push({ label: '  outside the job (wall time - totalMs)', ms: unchanged.ms - unchanged.result.totalMs })
  const bareNode = await fastest(3, async () => run('node', ['-e', '0']))
  const version = await fastest(3, async () => {
    const out = await flashdata(['--version'])
    cliOk(out)
    return out
  })
  timings.push({ label: 'node -e 0', ms: bareNode.ms }, { label: 'flashdata --version', ms: version.ms })
  ratios.push(
    { label: 'push --force --no-leave (with verify) / dfu-util -D', ratio: forced.ms / viaDfuUtil.ms, target: 1.0 },
    { label: '  least Node.js + usb program (with verify) / dfu-util -D', ratio: floor.ms / viaDfuUtil.ms },
    {
      label: 'push --force --no-leave / (dfu-util -D + dfu-util -U): the same work',
      ratio: forced.ms / (viaDfuUtil.ms + viaDfuUtilUpload.ms),
    },
    { label: 'unchanged push / dfu-util -D', ratio: unchanged.ms / viaDfuUtil.ms, target: 0.5 },
    {
      label: 'unchanged push (read + compare) / dfu-util -U: the same work',
      ratio: unchanged.ms / viaDfuUtilUpload.ms,
    },
    { label: 'flashdata --version / node -e 0', ratio: version.ms / bareNode.ms, target: 2.0 },
  )
})
