/**
 * A Linux GadgetFS device (drivers/usb/gadget/legacy/inode.c), the legacy
 * gadget API that leaves every control request to user space: the kernel
 * answers only GET_DESCRIPTOR for the device and configuration descriptors
 * written at open, GET_CONFIGURATION, and (in the controller) SET_ADDRESS,
 * GET_STATUS and the features; strings, SET_CONFIGURATION (which cannot be
 * stalled), SET_INTERFACE and all class and vendor requests come to user
 * space as SETUP events.
 *
 * It takes any descriptor (the CDC class descriptors of normal mode, which
 * FunctionFS refuses), but it is single-instance and completes an OUT data
 * stage before user space has read the SETUP (see ep0-worker.js), so the
 * bridge uses it only for normal mode.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Ep0 } from './ep0.js'

export const GADGETFS_MOUNT = '/dev/gadget'
/** How long the host gets to let go of the device after the soft disconnect (it takes milliseconds). */
const DISCONNECT_WAIT_MS = 3000

/** The UDC GadgetFS is bound to, found by its driver's function name. */
function boundUdc() {
  for (const name of readdirSync('/sys/class/udc')) {
    const fn = readFileSync(`/sys/class/udc/${name}/function`, 'utf8').trim()
    if (/gadget ?filesystem/i.test(fn)) return name
  }
  throw new Error('no UDC is bound to GadgetFS')
}

export class GadgetFs {
  #ep0
  #disconnected = () => {}
  udc

  /**
   * Opens the GadgetFS controller file and writes the descriptors: the gadget
   * binds to the first free UDC and connects at once. Only a full-speed
   * configuration is given, so the device enumerates at full speed, as the
   * STM32F2's OTG_FS port does. `handler`: see ep0.js.
   */
  static async open({ device, configuration, path = `${GADGETFS_MOUNT}/dummy_udc` }, handler) {
    const gadget = new GadgetFs()
    const descriptors = [Buffer.concat([Buffer.alloc(4), configuration, device])]
    const watch = (event) => {
      if (event.type === 'disconnect') gadget.#disconnected()
      return handler(event)
    }
    gadget.#ep0 = await Ep0.open({ kind: 'gadgetfs', path, descriptors }, watch)
    gadget.udc = boundUdc()
    return gadget
  }

  /**
   * Unplugs the gadget (soft disconnect of its UDC), waits for GadgetFS's
   * disconnect event, then closes the gadget file, which unbinds it.
   * Closing the file while the host was still talking to the device (cdc_acm
   * bound, requests in flight) crashed the kernel in GadgetFS (a NULL
   * dereference), so the host is made to let go first. Resolves when done.
   */
  async close() {
    const disconnected = new Promise((resolve) => { this.#disconnected = resolve })
    try {
      writeFileSync(`/sys/class/udc/${this.udc}/soft_connect`, 'disconnect\n')
      await Promise.race([disconnected, sleep(DISCONNECT_WAIT_MS)])
    } catch {
      // No soft_connect on this UDC: closing the file is the only way to unplug.
    }
    this.#ep0.requestClose()
    return this.#ep0.closed
  }
}
