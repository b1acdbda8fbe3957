#!/usr/bin/env node
/**
 * One particle-usb operation on one board, as its own process, for the flood
 * (flood.vm.js): an assertion particle-usb raises from its own timers then
 * ends this process with its stack, not the flood.
 *
 *   particle-usb-op.js <info|enter-dfu|reset> <serial>
 *
 * info: open, getDeviceId, getSerialNumber, close; prints the id and serial.
 * enter-dfu: open, enterDfuMode, close. reset: open, reset (in DFU mode this
 * leaves DFU mode; running firmware, control request 40), close.
 * Exit 0 on success; 1 with the error on stderr; 3 when the process is still
 * running 10 s after the board was closed.
 */
import { createRequire } from 'node:module'
import '../../test-usb/particle-usb-patch.js'
import particleUsb from 'particle-usb'

const [op, serial] = process.argv.slice(2)
// particle-usb's own trace on stderr, time-stamped: the flood prints it when this command fails.
const t0 = performance.now()
const trace =
  (level) =>
  (...args) =>
    console.error(`${((performance.now() - t0) / 1000).toFixed(3)} [${level}]`, ...args)
particleUsb.config({ log: { trace: trace('trace'), info: trace('info'), warn: trace('warn'), error: trace('error') } })
// Diagnosis: every open and close of a libusb handle by particle-usb's own usb package.
const usb = createRequire(createRequire(import.meta.url).resolve('particle-usb'))('usb').usb
for (const name of ['open', 'close']) {
  const original = usb.Device.prototype[name]
  usb.Device.prototype[name] = function (...args) {
    const who = `${name} ${this.busNumber}-${this.deviceAddress} ${this.deviceDescriptor.idProduct.toString(16)}`
    try {
      const result = original.apply(this, args)
      trace('usb')(who)
      return result
    } catch (error) {
      trace('usb')(`${who} threw: ${error.message}`)
      throw error
    }
  }
}
const ops = {
  async info(device) {
    const id = await device.getDeviceId()
    if (id !== serial) throw new Error(`getDeviceId returned ${id}, not ${serial}`)
    console.log(`device id ${id}, serial number ${await device.getSerialNumber()}`)
  },
  'enter-dfu': (device) => device.enterDfuMode(),
  reset: (device) => device.reset(),
}
if (!ops[op] || !serial) {
  console.error('usage: particle-usb-op.js <info|enter-dfu|reset> <serial>')
  process.exit(2)
}

const step = (name) => console.error(`${((performance.now() - t0) / 1000).toFixed(3)} [op] ${name}`)
step('openDeviceById')
const device = await particleUsb.openDeviceById(serial)
try {
  step(op)
  await ops[op](device)
} finally {
  step('close')
  await device.close().catch(() => {})
  step('closed')
}
// A process still running 10 s after its work is done fails at once, saying what holds it
// (particle-usb-patch.js fixes the one cause seen so far).
setTimeout(() => {
  step(`still running 10 s after close: ${JSON.stringify(process.getActiveResourcesInfo())}`)
  process.exit(3)
}, 10_000).unref()
