/**
 * Endpoint 0 of a Linux GadgetFS device (drivers/usb/gadget/legacy/inode.c),
 * the legacy gadget API that leaves every control request to user space:
 * the kernel answers only GET_DESCRIPTOR for the device and configuration
 * descriptors written at open, GET_CONFIGURATION, and (in the controller)
 * SET_ADDRESS, GET_STATUS and the features; strings, SET_CONFIGURATION (which
 * cannot be stalled), SET_INTERFACE and all class and vendor requests come
 * here as SETUP events.
 *
 * All ep0 I/O runs in a worker thread (gadgetfs-worker.js), because GadgetFS
 * completes an OUT data stage on the wire before user space reads the data:
 * if the host's next SETUP arrives first, the request is lost. The worker
 * picks up SETUP events and OUT data within microseconds, with no event-loop
 * hop, then blocks until the handler has answered.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'

export const GADGETFS_MOUNT = '/dev/gadget'
/** The longest IN answer on endpoint 0 (wLength is 16 bits). */
const MAX_DATA = 0xffff

/** The UDC GadgetFS is bound to, found by its driver's function name. */
function boundUdc() {
  for (const name of readdirSync('/sys/class/udc')) {
    const fn = readFileSync(`/sys/class/udc/${name}/function`, 'utf8').trim()
    if (/gadget ?filesystem/i.test(fn)) return name
  }
  throw new Error('no UDC is bound to GadgetFS')
}

export class GadgetFs {
  #worker
  #control = new Int32Array(new SharedArrayBuffer(16))
  #data = new Uint8Array(new SharedArrayBuffer(MAX_DATA))
  #closed
  udc

  /**
   * Opens the GadgetFS controller file and writes the descriptors: the gadget
   * binds and connects at once. Only a full-speed configuration is given, so
   * the device enumerates at full speed, as the STM32F2's OTG_FS port does.
   * `handler(event)` is called for each event, one at a time:
   * - { type: 'setup', setup, data? } (data: the OUT data stage) must resolve
   *   to the answer: { status: 'ok', data? } or { status: 'stall' }, or
   *   null to put nothing on the wire (the device is gone);
   * - { type: 'connect', speed } | { type: 'disconnect' } | { type: 'suspend' }
   *   | { type: 'error', code } (a failed event read): reports, the resolved
   *   value is ignored;
   * - { type: 'answer-error', code }: carrying out the last answer failed
   *   (e.g. EIDRM: the host had already given up); no answer expected.
   */
  static async open({ device, configuration, path = `${GADGETFS_MOUNT}/dummy_udc` }, handler) {
    const gadget = new GadgetFs()
    await gadget.#start(path, Buffer.concat([Buffer.alloc(4), configuration, device]), handler)
    return gadget
  }

  async #start(path, descriptors, handler) {
    this.#worker = new Worker(new URL('./gadgetfs-worker.js', import.meta.url), {
      workerData: { path, descriptors, control: this.#control, data: this.#data },
    })
    let opened
    const ready = new Promise((resolve, reject) => { opened = { resolve, reject } })
    this.#closed = new Promise((resolve, reject) => {
      this.#worker.on('error', (error) => { opened.reject(error); reject(error) })
      this.#worker.on('exit', resolve)
    })
    this.#worker.on('message', async (message) => {
      if (message.type === 'open') {
        if (message.error) opened.reject(Object.assign(new Error(message.error), { code: message.code }))
        else opened.resolve()
        return
      }
      if (message.type === 'answer-error') return handler(message) // a report, no answer expected
      let answer
      try {
        answer = await handler(message)
      } catch (error) {
        answer = null
        queueMicrotask(() => { throw error })
      }
      this.#answer(message, answer)
    })
    await ready
    this.udc = boundUdc()
  }

  #answer(event, answer) {
    let kind = 0 // go on, or put nothing on the wire
    let length = 0
    if (event.type === 'setup' && answer?.status === 'stall') kind = 3
    else if (answer?.status === 'ok' && event.setup.bmRequestType & 0x80) {
      kind = 1 // IN data stage, possibly empty
      length = Math.min(answer.data?.length ?? 0, MAX_DATA)
      this.#data.set(answer.data?.subarray(0, length) ?? [])
    } else if (event.type === 'setup' && answer?.status === 'ok' && event.setup.wLength === 0) kind = 2 // OUT status stage
    Atomics.store(this.#control, 1, kind)
    Atomics.store(this.#control, 2, length)
    Atomics.store(this.#control, 0, 1)
    Atomics.notify(this.#control, 0)
  }

  /** Closes the gadget file: the gadget unbinds and the host sees it unplugged. Resolves when done. */
  close() {
    Atomics.store(this.#control, 3, 1)
    Atomics.notify(this.#control, 3)
    return this.#closed
  }
}
