/**
 * Endpoint 0 of a user-space USB gadget (GadgetFS or FunctionFS), main-thread
 * side: all ep0 I/O runs in a worker thread (ep0-worker.js) that picks up
 * events with no event-loop hop and blocks until the handler here has
 * answered, so an answer is carried out in the order the host asked.
 *
 * `handler(event)` is called for each event, one at a time:
 * - { type: 'setup', setup, data? } (data: the OUT data stage) must resolve
 *   to the answer: { status: 'ok', data? } or { status: 'stall' }, or null
 *   to put nothing on the wire (the device is gone);
 * - any other type (GadgetFS: connect/disconnect/suspend; FunctionFS:
 *   bind/unbind/enable/disable/suspend/resume; both: { type: 'error', code }
 *   for a failed event read) is a report: the resolved value is ignored;
 * - { type: 'answer-error', code }: carrying out the last answer failed
 *   (e.g. EIDRM: the host had already given up); no answer expected.
 */
import { Worker } from 'node:worker_threads'

/** The longest IN answer on endpoint 0 (wLength is 16 bits). */
const MAX_DATA = 0xffff
const ANSWER = { none: 0, send: 1, ack: 2, stall: 3 }

export class Ep0 {
  #worker
  #control = new Int32Array(new SharedArrayBuffer(20))
  #data = new Uint8Array(new SharedArrayBuffer(MAX_DATA))
  #closed

  /**
   * Opens the ep0 file `path` of a gadget filesystem `kind` ('gadgetfs' or
   * 'functionfs') and writes the `descriptors` blocks, one write each.
   */
  static async open({ kind, path, descriptors }, handler) {
    const ep0 = new Ep0()
    await ep0.#start({ kind, path, descriptors }, handler)
    return ep0
  }

  async #start(workerData, handler) {
    this.#worker = new Worker(new URL('./ep0-worker.js', import.meta.url), {
      workerData: { ...workerData, control: this.#control, data: this.#data },
    })
    let opened
    const ready = new Promise((resolve, reject) => {
      opened = { resolve, reject }
    })
    this.#closed = new Promise((resolve, reject) => {
      this.#worker.on('error', (error) => {
        opened.reject(error)
        reject(error)
      })
      this.#worker.on('exit', resolve)
    })
    this.#worker.on('message', async (message) => {
      if (message.type === 'open') {
        if (message.error)
          opened.reject(Object.assign(new Error(`${workerData.path}: ${message.error}`), { code: message.code }))
        else opened.resolve()
        return
      }
      if (message.type === 'answer-error') return handler(message) // a report, no answer expected
      let answer
      try {
        answer = await handler(message)
      } catch (error) {
        answer = null
        queueMicrotask(() => {
          throw error
        })
      }
      this.#answer(message, answer)
    })
    await ready
  }

  #answer(event, answer) {
    let kind = ANSWER.none // go on, or put nothing on the wire
    let length = 0
    if (event.type === 'setup' && answer?.status === 'stall') kind = ANSWER.stall
    else if (event.type === 'setup' && answer?.status === 'ok' && event.setup.bmRequestType & 0x80) {
      kind = ANSWER.send // IN data stage, possibly empty
      length = Math.min(answer.data?.length ?? 0, MAX_DATA)
      this.#data.set(answer.data?.subarray(0, length) ?? [])
    } else if (event.type === 'setup' && answer?.status === 'ok' && event.setup.wLength === 0) kind = ANSWER.ack // OUT status stage
    Atomics.store(this.#control, 1, kind)
    Atomics.store(this.#control, 2, length)
    Atomics.store(this.#control, 4, event.seq)
    Atomics.store(this.#control, 0, 1)
    Atomics.notify(this.#control, 0)
  }

  /** Asks the worker to close the file once its current read returns. */
  requestClose() {
    Atomics.store(this.#control, 3, 1)
    Atomics.notify(this.#control, 3)
  }

  /** Resolves when the worker has closed the file. */
  get closed() {
    return this.#closed
  }
}
