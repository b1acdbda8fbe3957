/**
 * A Linux GadgetFS device (drivers/usb/gadget/legacy/inode.c), the legacy
 * gadget API that leaves every control request to user space: the kernel
 * answers only GET_DESCRIPTOR for the device and configuration descriptors
 * written at open, GET_CONFIGURATION, and (in the controller) SET_ADDRESS,
 * GET_STATUS and the features; strings, SET_CONFIGURATION (which cannot be
 * stalled), SET_INTERFACE and all class and vendor requests come to user
 * space as SETUP events.
 *
 * It takes any descriptor (the CDC class descriptors of firmware mode, which
 * FunctionFS refuses), but it is single-instance and completes an OUT data
 * stage before user space has read the SETUP (see ep0-worker.js), so the
 * bridge uses it only for firmware mode.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { Ep0 } from './ep0.js'

export const GADGETFS_MOUNT = '/dev/gadget'
/**
 * How long the host may take to let go of the device after the soft
 * disconnect: milliseconds when idle, seconds on a loaded machine (a 3 s
 * limit was reached there). Only a UDC that never reports is waited out.
 */
const DISCONNECT_WAIT_MS = 60_000
/** How long GadgetFS's disconnect report may lag behind the host's removal of the device. */
const REPORT_GRACE_MS = 2000
const POLL_MS = 20

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
   * Unplugs the gadget and closes the gadget file, which unbinds it, in the
   * order that is safe for GadgetFS: soft disconnect of the UDC (the host
   * sees the device go; GadgetFS reports 'disconnect' and aborts a request
   * still waiting for user space), then wait until `hostGone()` says the
   * host's USB core has dropped the device (cdc_acm unbound, open handles
   * invalidated), and only then close. Closing while the host still held the
   * device (cdc_acm bound, requests in flight) is what the bench's earlier
   * shutdown risked whenever the wait for the disconnect ran out on a loaded
   * machine. GadgetFS's own 'disconnect' report comes before the host's
   * removal (the UDC calls the gadget's disconnect as the pull-up goes), so
   * once the host has let go it is waited for only briefly: a report that
   * never reached user space would hold the board's next enumeration back
   * for the whole wait. `log` hears when a wait runs out. Resolves when the
   * file is closed.
   * @param {() => boolean} [hostGone]
   * @param {(line: string) => void} [log]
   */
  async close(hostGone = () => true, log = () => {}) {
    let seen = false
    this.#disconnected = () => {
      seen = true
    }
    try {
      writeFileSync(`/sys/class/udc/${this.udc}/soft_connect`, 'disconnect\n')
      if (!(await until(hostGone, DISCONNECT_WAIT_MS)))
        log(`the host still held the device ${DISCONNECT_WAIT_MS / 1000} s after the disconnect; closing`)
      if (!(await until(() => seen, REPORT_GRACE_MS)))
        log(`GadgetFS reported no disconnect within ${REPORT_GRACE_MS / 1000} s of the host's removal; closing`)
    } catch {
      // No soft_connect on this UDC: closing the file is the only way to unplug.
    }
    this.#ep0.requestClose()
    return this.#ep0.closed
  }
}

/** Polls `done` until it is true (resolves true) or `ms` have passed (resolves false). */
async function until(done, ms) {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() >= deadline) return false
    await sleep(POLL_MS)
  }
  return true
}
