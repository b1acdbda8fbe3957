#!/usr/bin/env node
/**
 * Presents the project's EmulatedElectron on a real USB bus through GadgetFS:
 * the board's own descriptors, every SETUP answered by its raw USB layer
 * (`board.usbFunction.handleSetup`), stalls as real stalls, and every reset
 * of the board (leave, DFU switch, unplug) as a real disconnect followed by
 * a fresh enumeration with the new mode's descriptors and the same serial.
 *
 *   gadget-bridge.js [--serial S] [--mode dfu|normal] [--flash-file F]
 *                    [--timing instant|datasheet] [--log FILE]
 *
 * Needs root, dummy_hcd (or a real UDC) and GadgetFS mounted on /dev/gadget;
 * runs the built package (npm run build). Started with child_process.fork it
 * reports { event: 'attached' | 'detached', mode, serial } and obeys
 * { cmd: 'unplug' | 'plug' | 'quit', mode? } (unplug = pull the cable).
 */
import { appendFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { DATASHEET_TIMING, EmulatedElectron, INSTANT_TIMING } from '../../dist/index.js'
import { GadgetFs } from './gadgetfs.js'

const { values: opts } = parseArgs({
  options: {
    serial: { type: 'string' },
    mode: { type: 'string', default: 'dfu' },
    'flash-file': { type: 'string' },
    timing: { type: 'string', default: 'instant' },
    log: { type: 'string' },
  },
})

const t0 = performance.now()
const log = (line) => {
  const text = `${((performance.now() - t0) / 1000).toFixed(3)} ${line}\n`
  if (opts.log) appendFileSync(opts.log, text)
  else process.stderr.write(text)
}
const report = (message) => process.send?.({ ...message, serial: board.serialNumber })

// The real bus takes the wire time, so the emulator's own USB costs are zeroed.
const base = opts.timing === 'datasheet' ? DATASHEET_TIMING : INSTANT_TIMING
const board = new EmulatedElectron({
  serialNumber: opts.serial,
  mode: opts.mode,
  flashFile: opts['flash-file'],
  timing: { ...base, usbTransferOverheadUs: 0, usbPacketUs: 0 },
})

const hex = (n, w = 2) => n.toString(16).padStart(w, '0')
const describe = (s) => `${hex(s.bmRequestType)} ${hex(s.bRequest)} wValue=${hex(s.wValue, 4)} wIndex=${hex(s.wIndex, 4)} wLength=${s.wLength}`

/** One enumeration of the board: from opening the gadget to its disconnect. */
class Session {
  #gadget
  #function

  static async open(usbFunction) {
    const session = new Session()
    session.#function = usbFunction
    session.#gadget = await GadgetFs.open(
      { device: usbFunction.deviceDescriptor, configuration: usbFunction.configurationDescriptor },
      (event) => session.#handle(event),
    )
    return session
  }

  get udc() {
    return this.#gadget.udc
  }

  async #handle(event) {
    if (event.type === 'setup') return this.#answer(event)
    log(`${event.type}${event.speed ? ` (${event.speed} speed)` : ''}${event.code ? ` ${event.code}` : ''}`)
  }

  async #answer({ setup, data, error }) {
    const dirIn = (setup.bmRequestType & 0x80) !== 0
    let reply
    let outcome
    try {
      if (error) throw Object.assign(new Error(error), { code: error })
      reply = await this.#function.handleSetup(setup, data)
      if (reply.status === 'stall') {
        // GadgetFS has acknowledged an OUT data stage before the board saw it; it cannot be stalled any more.
        outcome = data ? 'stall (impossible after the OUT data stage: acknowledged)' : 'stall'
      } else outcome = dirIn ? `in ${reply.data.length}` : data ? `out ${data.length}` : 'ack'
    } catch (failure) {
      // The board reset or lost power before answering: nothing goes on the wire.
      reply = null
      outcome = failure.name === 'UsbFunctionGoneError' ? 'no answer (board gone)' : `error ${failure.code ?? failure.message}`
    }
    log(`SETUP ${describe(setup)} -> ${outcome}`)
    return reply
  }

  /** Unbinds the gadget: the host sees the device unplugged. */
  end() {
    return this.#gadget.close()
  }
}

let session = null
// Device changes are handled one after another: a new enumeration waits until the old gadget is closed.
let changes = Promise.resolve()

async function attach() {
  const fn = board.usbFunction
  if (!fn) return
  session = await Session.open(fn)
  log(`attached: ${board.mode} mode, serial ${board.serialNumber}, ${session.udc}`)
  report({ event: 'attached', mode: board.mode })
}

async function detach() {
  if (!session) return
  const ending = session
  session = null
  await ending.end()
  log('detached')
  report({ event: 'detached' })
}

function queue(step) {
  changes = changes.then(step).catch((error) => {
    log(`bridge error: ${error.stack ?? error}`)
    process.exitCode = 1
  })
}

board.onDeviceChange((device) => queue(device ? attach : detach))

process.on('message', (message) => {
  if (message.cmd === 'unplug') board.unplug()
  else if (message.cmd === 'plug') board.plugIn({ mode: message.mode })
  else if (message.cmd === 'quit') quit()
})
process.on('SIGTERM', quit)
process.on('SIGINT', quit)

function quit() {
  board.close()
  queue(() => process.exit())
}

queue(attach)
