/**
 * Particle's own host library, particle-usb (4.1.0, through its own usb 2.x
 * and libusb with udev), as a second independent peer over real USB, in the
 * same VM boot as usb-bench.vm.js: it must agree with the emulated Electron
 * in firmware mode (Device OS's control requests) and in DFU mode, and with
 * flashdata about what is in sector 9.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import './particle-usb-patch.js'
import particleUsb from 'particle-usb'
import {
  BridgedBoard,
  DFU_PRODUCT,
  flashdata,
  loadUsbStack,
  FIRMWARE_PRODUCT,
  sleep,
  usbDevices,
  waitForDevice,
} from './bench.js'

const SERIAL = 'e00fce68d4e5f6071829304a'
/** The emulator's made-up OTP serial for this device id ("EMU" and its last 12 hex digits). */
const OTP_SERIAL = `EMU${SERIAL.slice(-12).toUpperCase()}`
const DATA_SECTOR = 0x080a0000
const EPOCH = '1700000000'
const LOGS = process.env.BENCH_OUT ?? mkdtempSync('/tmp/usb-bench-logs-')
const work = mkdtempSync('/tmp/particle-usb-')
let board

const cliOk = (out) => assert.equal(out.code, 0, `exit ${out.code}\n${out.stdout}\n${out.stderr}`)
const devnum = () => usbDevices().find((d) => d.serial === SERIAL)?.devnum

/** A flashdata image of random files, built by the CLI. */
async function image(name, sizes) {
  const folder = `${work}/${name}`
  mkdirSync(folder)
  for (const [i, size] of sizes.entries()) writeFileSync(`${folder}/file${i}.bin`, randomBytes(size))
  cliOk(await flashdata(['build', folder, '-o', `${folder}.bin`, '--epoch', EPOCH, '--json']))
  return { file: `${folder}.bin`, bytes: readFileSync(`${folder}.bin`) }
}

/** Waits until the board has re-enumerated (a new device number) in this mode. */
async function waitForReEnumeration(product, oldDevnum, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const device = await waitForDevice(SERIAL, product, Math.max(deadline - Date.now(), 1))
    if (device.devnum !== oldDevnum) return device
    if (Date.now() > deadline) throw new Error(`${SERIAL} did not re-enumerate (device ${oldDevnum})`)
    await sleep(50)
  }
}

/** particle-usb's openDeviceById, tried again while libusb has not yet caught up with a re-enumeration. */
async function open(timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await particleUsb.openDeviceById(SERIAL)
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(200)
    }
  }
}

/**
 * particle-usb's listing once its libusb has seen the board: libusb learns of a
 * device from udevd's event, which comes after the device appears in sysfs
 * (where waitForDevice looks), later still on a loaded machine.
 */
async function listed(timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const devices = await particleUsb.getDevices()
    if (devices.length || Date.now() > deadline) return devices
    await sleep(200)
  }
}

/** Runs `work` with the board opened by particle-usb, and closes it. */
async function withDevice(work) {
  const device = await open()
  try {
    return await work(device)
  } finally {
    await device.close().catch(() => {})
  }
}

before(async () => {
  loadUsbStack()
  board = new BridgedBoard(SERIAL, { mode: 'firmware', log: `${LOGS}/bridge-particle-usb.log` })
  await board.next('attached')
  await waitForDevice(SERIAL, FIRMWARE_PRODUCT)
})

after(async () => {
  await board?.quit()
})

test('particle-usb lists and opens the board running firmware, and reads its device id, serial number and mode', async () => {
  assert.deepEqual(
    (await listed()).map((d) => [d.type, d.isInDfuMode]),
    [['electron', false]],
  )
  await withDevice(async (device) => {
    assert.equal(device.id, SERIAL)
    assert.equal(await device.getDeviceId(), SERIAL)
    assert.equal(await device.getSerialNumber(), OTP_SERIAL)
    assert.equal(await device.getDeviceMode(), 'NORMAL')
  })
})

test('flashdata devices reads the Device OS version and mode the running board reports', async () => {
  const out = await flashdata(['devices', '--json'])
  cliOk(out)
  assert.deepEqual(
    out.result.boards.map((b) => [b.serial, b.mode, b.deviceOs, b.deviceOsMode, b.deviceId]),
    [[SERIAL, 'firmware', '2.3.1', 'normal', SERIAL]],
  )
})

test('particle-usb enterDfuMode switches the board and finds it again in DFU mode (udevd reports the re-enumeration)', async () => {
  await withDevice((device) => device.enterDfuMode())
  await waitForDevice(SERIAL, DFU_PRODUCT)
  assert.deepEqual(
    (await listed()).map((d) => [d.type, d.isInDfuMode]),
    [['electron', true]],
  )
  await withDevice(async (device) => assert.equal(device.isInDfuMode, true))
})

test('particle-usb writeOverDfu writes a flashdata image, readOverDfu reads it back, and flashdata verify accepts it', async () => {
  const a = await image('a', [30_000, 4000, 12])
  await withDevice(async (device) => {
    await device.writeOverDfu(a.bytes, { altSetting: 0, startAddr: DATA_SECTOR, leave: false })
    const back = await device.readOverDfu({ altSetting: 0, startAddr: DATA_SECTOR, size: a.bytes.length })
    assert.deepEqual(Buffer.from(back), a.bytes)
  })
  const verify = await flashdata(['verify', a.file, '--serial', SERIAL, '--json'])
  cliOk(verify)
  assert.equal(verify.result.status, 'match')
})

test('flashdata push writes an image and particle-usb readOverDfu reads back the same bytes', async () => {
  await waitForDevice(SERIAL, DFU_PRODUCT)
  const b = await image('b', [50_000, 777])
  cliOk(await flashdata(['push', b.file, '--serial', SERIAL, '--no-leave', '--json']))
  await waitForDevice(SERIAL, DFU_PRODUCT)
  await withDevice(async (device) => {
    const back = await device.readOverDfu({ altSetting: 0, startAddr: DATA_SECTOR, size: b.bytes.length })
    assert.deepEqual(Buffer.from(back), b.bytes)
  })
})

test('particle-usb reset leaves DFU mode; on the running board reset() (request 40) and reset({ force: true }) (raw OUT 0x50/40) restart it', async () => {
  let before = devnum()
  await withDevice((device) => device.reset())
  await waitForReEnumeration(FIRMWARE_PRODUCT, before)
  before = devnum()
  await withDevice((device) => device.reset())
  await waitForReEnumeration(FIRMWARE_PRODUCT, before)
  before = devnum()
  // The board resets inside the request, before its status stage: the transfer itself may fail.
  await withDevice((device) => device.reset({ force: true }).catch(() => {}))
  await waitForReEnumeration(FIRMWARE_PRODUCT, before)
})

test('flashdata reset restarts the running board through its reset request', async () => {
  const before = devnum()
  const out = await flashdata(['reset', '--serial', SERIAL, '--json'])
  cliOk(out)
  assert.equal(out.result.method, 'control-request')
  await waitForReEnumeration(FIRMWARE_PRODUCT, before)
})
