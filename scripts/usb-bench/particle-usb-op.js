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
 * Exit 0 on success; 1 with the error on stderr.
 */
import particleUsb from 'particle-usb'

const [op, serial] = process.argv.slice(2)
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

const device = await particleUsb.openDeviceById(serial)
try {
  await ops[op](device)
} finally {
  await device.close().catch(() => {})
}
