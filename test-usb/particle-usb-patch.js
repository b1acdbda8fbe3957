/**
 * A fix for a handle leak in particle-usb 4.1.0's usb package (2.18.0), applied
 * where the bench loads particle-usb (particle-usb.vm.js, the flood's
 * particle-usb-op.js). Import it before the first particle-usb call.
 *
 * usb's Device.open (dist/usb/device.js:66-77) opens the libusb handle
 * (__open, which also starts the handle's completion queue, a thread-safe
 * function that keeps Node's event loop alive) and then reads the
 * configDescriptor getter twice; a board that leaves the bus between the two
 * reads (enterDfuMode polling for the re-enumerated board) makes the second
 * read undefined and open throws "Cannot read properties of undefined (reading
 * 'interfaces')" with the handle still open. particle-usb's UsbDevice.open
 * (src/usb-device-node.js:47-52) rethrows without closing it, so the process
 * never exits after its work is done (seen in the flood: open of 1-5 c00a
 * threw at 6.7 s, the operation finished at 12.6 s, the process was still
 * running at 120 s with no other handle). Here a throwing open closes the
 * handle it opened.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { usb } = createRequire(require.resolve('particle-usb'))('usb')
const open = usb.Device.prototype.open
usb.Device.prototype.open = function openClosingOnFailure(...args) {
  try {
    return open.apply(this, args)
  } catch (error) {
    try {
      this.__close()
    } catch {
      // Not opened, or a transfer still pending: nothing more to release here.
    }
    throw error
  }
}
