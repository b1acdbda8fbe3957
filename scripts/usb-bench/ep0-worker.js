/**
 * The ep0 side of ep0.js, in a worker thread: reads events from a GadgetFS
 * or FunctionFS ep0 file, hands each to the main thread, blocks until it has
 * answered, then carries the answer out.
 *
 * Both filesystems share the conventions for a SETUP left to user space:
 * - IN request: write() sends the data stage; read() stalls.
 * - OUT request without data: a read() of 0 bytes completes the status
 *   stage; write() stalls.
 * - OUT request with data: read() collects the data stage and the
 *   controller acknowledges it (no stall possible afterwards).
 * They differ in when the OUT data stage is queued. FunctionFS queues it
 * when user space reads, so the host waits (NAK) meanwhile and nothing is
 * lost: a blocking read loop is enough. GadgetFS queues it as the SETUP
 * arrives, so the transfer completes on the wire before user space has read
 * the event, and if the host's next SETUP comes first GadgetFS drops the
 * unread event. For GadgetFS the fd is therefore non-blocking and the worker
 * polls without sleeping for a while after each event (requests come back to
 * back while a host talks to the device); when idle it sleeps 1 ms.
 */
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

/** @type {{ kind: 'gadgetfs' | 'functionfs', path: string, descriptors: Uint8Array[], control: Int32Array, data: Uint8Array }} */
const { kind, path, descriptors, control, data } = workerData
// control: [0] answer ready, [1] answer kind, [2] answer length, [3] close requested,
// [4] the number of the message answered.
// fs.readSync returns early for a zero-length read without calling read(2),
// but GadgetFS needs that very call to complete a status stage (FunctionFS
// clamps the length to wLength, so a 1-byte read does it there).
// process.binding is deprecated and left out of @types/node.
const fsBinding = /** @type {any} */ (process).binding('fs')

const EVENT_SIZE = 12
const SPEEDS = ['unknown', 'low', 'full', 'high', 'wireless', 'super', 'super-plus']
const ANSWER = { none: 0, send: 1, ack: 2, stall: 3 }
const BUSY_POLL_MS = 200
const DATA_STAGE_TIMEOUT_MS = 1000
/** Linux's errno for EL2HLT (asm-generic/errno.h), which os.constants.errno does not list. */
const EL2HLT = 51

const KINDS = {
  // struct usb_gadgetfs_event: 8-byte union, u32 type.
  gadgetfs: {
    types: ['nop', 'connect', 'disconnect', 'setup', 'suspend'],
    type: (b, off) => b.readUInt32LE(off + 8),
    flags: constants.O_NONBLOCK,
  },
  // struct usb_functionfs_event: 8-byte union, u8 type, 3 pad bytes.
  functionfs: {
    types: ['bind', 'unbind', 'enable', 'disable', 'setup', 'suspend', 'resume'],
    type: (b, off) => b[off + 8],
    flags: 0,
  },
}
const backend = KINDS[kind]

let fd
try {
  fd = openSync(path, constants.O_RDWR | backend.flags)
  for (const block of descriptors) writeSync(fd, block)
  parentPort.postMessage({ type: 'open' })
} catch (error) {
  parentPort.postMessage({ type: 'open', error: error.message, code: error.code })
  process.exit()
}

const closeRequested = () => Atomics.load(control, 3) === 1

let lastSeq = 0

/**
 * Posts a message the main thread answers and waits for that answer: [kind, length].
 * Messages are numbered and only the answer carrying this one's number is
 * taken: a stale answer taken for the next SETUP put nothing on the wire
 * for it, and the worker's next event read then made FunctionFS stall it.
 */
function ask(message) {
  const seq = ++lastSeq
  parentPort.postMessage({ ...message, seq })
  for (;;) {
    Atomics.wait(control, 0, 0)
    Atomics.store(control, 0, 0)
    if (Atomics.load(control, 4) === seq) return [Atomics.load(control, 1), Atomics.load(control, 2)]
  }
}

/** read(2) that returns -1 instead of throwing when nothing is there yet. */
function tryRead(buffer, length) {
  try {
    return readSync(fd, buffer, 0, length, null)
  } catch (error) {
    if (error.code === 'EAGAIN') return -1
    throw error
  }
}

function collectData(setup) {
  const out = Buffer.alloc(setup.wLength)
  const deadline = performance.now() + DATA_STAGE_TIMEOUT_MS
  for (;;) {
    const n = tryRead(out, out.length)
    if (n >= 0) return out.subarray(0, n)
    if (performance.now() > deadline) throw Object.assign(new Error('no OUT data stage'), { code: 'ETIMEDOUT' })
  }
}

function decode(buffer, off) {
  const type = backend.types[backend.type(buffer, off)] ?? 'unknown'
  if (type === 'connect') return { type, speed: SPEEDS[buffer.readUInt32LE(off)] ?? 'unknown' }
  if (type !== 'setup') return { type }
  const setup = {
    bmRequestType: buffer[off],
    bRequest: buffer[off + 1],
    wValue: buffer.readUInt16LE(off + 2),
    wIndex: buffer.readUInt16LE(off + 4),
    wLength: buffer.readUInt16LE(off + 6),
  }
  if (setup.bmRequestType & 0x80 || setup.wLength === 0) return { type, setup }
  try {
    return { type, setup, data: collectData(setup) }
  } catch (error) {
    return { type, setup, error: error.code ?? error.message }
  }
}

/** Carries out the answer to a SETUP; returns what went wrong, or undefined. */
function answerSetup(setup, answer, length) {
  try {
    if (answer === ANSWER.send) {
      const sent = writeSync(fd, data, 0, length)
      if (sent !== length) return `sent ${sent} of ${length} bytes`
    } else if (answer === ANSWER.ack) {
      if (kind === 'gadgetfs') fsBinding.read(fd, Buffer.alloc(1), 0, 0, -1)
      else readSync(fd, Buffer.alloc(1), 0, 1, null)
    } else if (answer === ANSWER.stall) {
      if (setup.bmRequestType & 0x80) readSync(fd, Buffer.alloc(1), 0, 1, null)
      else writeSync(fd, Buffer.alloc(1))
    }
  } catch (error) {
    // EL2HLT (errno 51) is GadgetFS and FunctionFS saying "stalled": the expected outcome of a stall, and of nothing else.
    // Node has no name for it: the error comes as errno -51, "Unknown system error -51".
    if (answer === ANSWER.stall && Math.abs(error.errno) === EL2HLT) return undefined
    return error.code === 'UNKNOWN' ? `errno ${error.errno}` : (error.code ?? error.message)
  }
  return undefined
}

const buffer = Buffer.alloc(EVENT_SIZE * 4)
let lastEvent = performance.now()
while (!closeRequested()) {
  let n
  try {
    n = tryRead(buffer, buffer.length)
  } catch (error) {
    // EIDRM: the host gave up on a request and sent a new one.
    ask({ type: 'error', code: error.code ?? error.message })
    continue
  }
  if (n < 0) {
    if (performance.now() - lastEvent > BUSY_POLL_MS) Atomics.wait(control, 3, 0, 1)
    continue
  }
  for (let off = 0; off + EVENT_SIZE <= n; off += EVENT_SIZE) {
    const event = decode(buffer, off)
    const [answer, length] = ask(event)
    if (event.type !== 'setup') continue
    const error = answerSetup(event.setup, answer, length)
    if (error) parentPort.postMessage({ type: 'answer-error', code: error })
  }
  lastEvent = performance.now()
}
closeSync(fd)
