/**
 * The real-USB tier, run inside the bench VM (npm run test:usb): the
 * project's EmulatedElectron served over dummy_hcd by the gadget bridge, with
 * dfu-util as an independent peer and the flashdata CLI through the `usb`
 * package, all in one boot. The emulator runs in datasheet timing throughout.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { randomBytes } from 'node:crypto'
import {
  BridgedBoard, DFU_PRODUCT, flashdata, loadUsbStack, NORMAL_PRODUCT, run, sleep, usbDevices, waitForDevice,
} from './bench.js'

const SERIAL = 'e00fce68a1b2c3d4e5f60718'
const DATA_SECTOR = 0x080a0000
const work = mkdtempSync('/tmp/usb-bench-')
const timings = []
let board

/** A flashdata image of `size` bytes of random files, built by the CLI. */
async function image(name, sizes) {
  const folder = `${work}/${name}`
  mkdirSync(folder)
  sizes.forEach((size, i) => writeFileSync(`${folder}/file${i}.bin`, randomBytes(size)))
  const built = await flashdata(['build', folder, '-o', `${folder}.bin`, '--json'])
  assert.equal(built.code, 0, built.stderr)
  return { folder, file: `${folder}.bin`, bytes: readFileSync(`${folder}.bin`) }
}

const dfuUtil = (...args) => run('dfu-util', ['-d', '2b04:d00a', '-S', SERIAL, ...args])
const ok = (out) => assert.equal(out.code, 0, `exit ${out.code}\n${out.stdout}\n${out.stderr}`)

before(async () => {
  loadUsbStack()
  board = new BridgedBoard(SERIAL, { log: `${process.env.BENCH_OUT ?? work}/bridge.log` })
  await board.next('attached')
  await waitForDevice(SERIAL, DFU_PRODUCT)
})

after(async () => {
  await board?.quit()
  if (timings.length) {
    console.log('\n128 KiB-class download over real USB (dummy_hcd, full speed; emulator in datasheet timing):')
    for (const t of timings) console.log(`  ${t.label.padEnd(52)} ${(t.ms / 1000).toFixed(2)} s`)
  }
})

test('dfu-util -l lists both alternate settings with their names and the serial', async () => {
  const out = await run('dfu-util', ['-l'])
  ok(out)
  const found = out.stdout.split('\n').filter((line) => line.startsWith('Found DFU: [2b04:d00a]'))
  assert.equal(found.length, 2, out.stdout)
  assert.ok(found.some((l) => l.includes('alt=0, name="@Internal Flash   /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg"')), out.stdout)
  assert.ok(found.some((l) => l.includes('alt=1, name="@DCT Flash   /0x00000000/01*016Kg"')), out.stdout)
  assert.ok(found.every((l) => l.includes(`serial="${SERIAL}"`) && l.includes('ver=0250')), out.stdout)
})

test('lsusb decodes the DFU functional descriptor as the real board presents it', async () => {
  const out = await run('lsusb', ['-v', '-d', '2b04:d00a'])
  for (const field of [/bcdDevice\s+2\.50/, /bMaxPacketSize0\s+64/, /iProduct\s+2 Electron DFU Mode/, /bmAttributes\s+11/,
    /wDetachTimeout\s+255/, /wTransferSize\s+4096/, /bcdDFUVersion\s+1\.1a/]) {
    assert.match(out.stdout, field)
  }
})

test('dfu-util writes a flashdata image to 0x080A0000 with :leave, and flashdata verify accepts it', async () => {
  const a = await image('a', [3000, 20_000, 7])
  ok(await dfuUtil('-a', '0', '-s', `0x${DATA_SECTOR.toString(16)}:leave`, '-D', a.file))
  await waitForDevice(SERIAL, NORMAL_PRODUCT) // the board restarts its firmware
  const verify = await flashdata(['verify', a.file, '--serial', SERIAL, '--json'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  assert.equal(verify.result.status, 'match')
})

test('flashdata push writes an image and dfu-util -U reads back the same bytes', async () => {
  const b = await image('b', [40_000, 1234])
  const push = await flashdata(['push', b.file, '--serial', SERIAL, '--no-leave', '--json'])
  assert.equal(push.code, 0, push.stdout + push.stderr)
  await waitForDevice(SERIAL, DFU_PRODUCT)
  const back = `${work}/b.read.bin`
  ok(await dfuUtil('-a', '0', '-s', `0x${DATA_SECTOR.toString(16)}:${b.bytes.length}`, '-U', back))
  assert.deepEqual(readFileSync(back), b.bytes)
})

test('dfu-util cannot write below 0x08020000, as on a real board', async () => {
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
  const out = await flashdata(['devices', '--json'])
  assert.equal(out.code, 0, out.stderr)
  const boards = out.result.boards
  assert.equal(boards.length, 1, JSON.stringify(boards))
  assert.equal(boards[0].serial, SERIAL)
  assert.equal(boards[0].mode, 'dfu')
  assert.equal(boards[0].productId, 0xd00a)
})

test('flashdata push, verify and pull round-trip through the usb package, leaving and re-enumerating', async () => {
  const c = await image('c', [60_000, 5000, 100])
  const oldDevnum = usbDevices().find((d) => d.serial === SERIAL)?.devnum
  const push = await flashdata(['push', c.file, '--serial', SERIAL, '--json'])
  assert.equal(push.code, 0, push.stdout + push.stderr)
  const normal = await waitForDevice(SERIAL, NORMAL_PRODUCT)
  assert.notEqual(normal.devnum, oldDevnum, 'the board re-enumerated')
  const verify = await flashdata(['verify', c.folder, '--serial', SERIAL, '--json'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
  const verifyImage = await flashdata(['verify', c.file, '--serial', SERIAL, '--json'])
  assert.equal(verifyImage.code, 0, verifyImage.stdout + verifyImage.stderr)
  const pulled = `${work}/c.pulled.bin`
  const pull = await flashdata(['pull', '-o', pulled, '--serial', SERIAL, '--json'])
  assert.equal(pull.code, 0, pull.stdout + pull.stderr)
  assert.deepEqual(readFileSync(pulled), c.bytes)
  await waitForDevice(SERIAL, NORMAL_PRODUCT) // verify and pull leave the board as they found it
})

test('flashdata dfu switches a board running firmware into DFU mode, and reset brings it back', async () => {
  await waitForDevice(SERIAL, NORMAL_PRODUCT)
  const dfu = await flashdata(['dfu', '--serial', SERIAL, '--json'])
  assert.equal(dfu.code, 0, dfu.stdout + dfu.stderr)
  await waitForDevice(SERIAL, DFU_PRODUCT)
  const reset = await flashdata(['reset', '--serial', SERIAL, '--json'])
  assert.equal(reset.code, 0, reset.stdout + reset.stderr)
  await waitForDevice(SERIAL, NORMAL_PRODUCT)
})

test('14400 baud on the CDC port (cdc_acm, stty) switches the board into DFU mode', async () => {
  await waitForDevice(SERIAL, NORMAL_PRODUCT)
  const tty = await waitForTty()
  // The board resets from inside the request; stty may report an error, as particle-cli#93 shows.
  await run('stty', ['-F', tty, '14400'])
  await waitForDevice(SERIAL, DFU_PRODUCT)
})

async function waitForTty() {
  for (let i = 0; i < 100; i++) {
    const out = await run('sh', ['-c', 'ls /sys/class/tty | grep ttyACM | head -n1'])
    if (out.stdout.trim()) return `/dev/${out.stdout.trim()}`
    await sleep(50)
  }
  throw new Error('cdc_acm did not bind to the board (no ttyACM)')
}

test('a cable pull in the middle of a write gives the documented error, and a retry succeeds', async () => {
  const d = await image('d', [100_000, 20_000])
  const push = flashdata(['push', d.file, '--serial', SERIAL, '--json', '--force'])
  await sleep(2500) // inside the 1 s sector erase or the write that follows
  board.unplug()
  await board.next('detached')
  const failed = await push
  assert.equal(failed.code, 11, failed.stdout + failed.stderr)
  assert.equal(failed.result.code, 'DISCONNECTED', JSON.stringify(failed.result))
  board.plugIn()
  await board.next('attached')
  const retry = await flashdata(['push', d.file, '--serial', SERIAL, '--json', '--wait', '15'])
  assert.equal(retry.code, 0, retry.stdout + retry.stderr)
  const verify = await flashdata(['verify', d.file, '--serial', SERIAL, '--json'])
  assert.equal(verify.code, 0, verify.stdout + verify.stderr)
})

test('--serial selects the board and an unknown serial finds none', async () => {
  const upper = await flashdata(['devices', '--json'])
  assert.ok(upper.result.boards.some((b) => b.serial === SERIAL))
  const none = await flashdata(['verify', '--serial', 'ffffffffffffffffffffffff', '--json', '--wait', '1'])
  assert.equal(none.code, 5, none.stdout + none.stderr)
})

test('timing: the same 128 KiB-class download by dfu-util and by flashdata push (with verify)', async () => {
  const big = await image('big', [60_000, 60_000, 8000])
  await ensureDfuMode()
  const viaDfuUtil = await dfuUtil('-a', '0', '-s', `0x${DATA_SECTOR.toString(16)}`, '-D', big.file)
  ok(viaDfuUtil)
  timings.push({ label: `dfu-util -D (${big.bytes.length} bytes, erase + write)`, ms: viaDfuUtil.ms })
  const viaFlashdata = await flashdata(['push', big.file, '--serial', SERIAL, '--no-leave', '--force', '--json'])
  assert.equal(viaFlashdata.code, 0, viaFlashdata.stdout + viaFlashdata.stderr)
  timings.push({ label: 'flashdata push --force --no-leave (erase + write + verify)', ms: viaFlashdata.ms })
  const phases = viaFlashdata.result.phases ?? {}
  timings.push(...Object.entries(phases).map(([phase, ms]) => ({ label: `  flashdata phase ${phase}`, ms })))
})

async function ensureDfuMode() {
  if (usbDevices().some((d) => d.serial === SERIAL && d.productId === DFU_PRODUCT)) return
  const dfu = await flashdata(['dfu', '--serial', SERIAL, '--json'])
  assert.equal(dfu.code, 0, dfu.stdout + dfu.stderr)
  await waitForDevice(SERIAL, DFU_PRODUCT)
}
