#!/usr/bin/env node
/**
 * Presents the project's EmulatedElectron on a real USB bus (FunctionFS in
 * DFU mode, GadgetFS in firmware mode):
 * the board's own descriptors, every SETUP answered by its raw USB layer
 * (`board.usbFunction.handleSetup`), stalls as real stalls, and every reset
 * of the board (leave, DFU switch, unplug) as a real disconnect followed by
 * a fresh enumeration with the new mode's descriptors and the same serial.
 *
 *   gadget-bridge.js [--serial S] [--mode dfu|firmware] [--flash-file F]
 *                    [--timing instant|datasheet] [--device-os VERSION] [--log FILE]
 *
 * Needs root, dummy_hcd (or a real UDC), libcomposite and usb_f_fs with
 * configfs mounted, and GadgetFS mounted on /dev/gadget;
 * runs the built package (npm run build). Started with child_process.fork it
 * reports { event: 'attached' | 'detached', mode, serial } and obeys
 * { cmd: 'unplug' | 'plug' | 'quit', mode? } (unplug = pull the cable).
 */
import { createWriteStream, readdirSync, readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { DATASHEET_TIMING, EmulatedElectron, INSTANT_TIMING, openFlashFile } from '../../dist/index.js'
import { FunctionFs } from './functionfs.js'
import { GadgetFs } from './gadgetfs.js'

const { values: opts } = parseArgs({
  options: {
    serial: { type: 'string' },
    mode: { type: 'string', default: 'dfu' },
    'flash-file': { type: 'string' },
    timing: { type: 'string', default: 'instant' },
    'device-os': { type: 'string' },
    log: { type: 'string' },
  },
})

const t0 = performance.now()
// Written behind the answers: a synchronous append per SETUP (over the VM's 9p
// share) made string descriptor answers late enough for hosts to give up on a loaded machine.
const logStream = opts.log ? createWriteStream(opts.log, { flags: 'a' }) : process.stderr
const log = (line) => logStream.write(`${((performance.now() - t0) / 1000).toFixed(3)} ${line}\n`)
const report = (message) => process.send?.({ ...message, serial: board.serialNumber })

// The real bus takes the wire time, so the emulator's own USB costs are zeroed.
const base = opts.timing === 'datasheet' ? DATASHEET_TIMING : INSTANT_TIMING
const board = new EmulatedElectron({
  serialNumber: opts.serial,
  mode: /** @type {import('../../dist/index.js').BoardMode} */ (opts.mode),
  flash: opts['flash-file'] === undefined ? undefined : openFlashFile(opts['flash-file']),
  deviceOsVersion: opts['device-os'],
  timing: { ...base, usbTransferOverheadUs: 0, usbPacketUs: 0 },
})

const hex = (n, w = 2) => n.toString(16).padStart(w, '0')
const describe = (s) =>
  `${hex(s.bmRequestType)} ${hex(s.bRequest)} wValue=${hex(s.wValue, 4)} wIndex=${hex(s.wIndex, 4)} wLength=${s.wLength}`

/** The host side's view of this board (same VM): its sysfs directory, or undefined before enumeration. */
function hostDevice(serial, productId) {
  const root = '/sys/bus/usb/devices'
  const read = (dir, name) => {
    try {
      return readFileSync(`${root}/${dir}/${name}`, 'utf8').trim()
    } catch {
      return undefined
    }
  }
  const dir = readdirSync(root).find(
    (d) => /^\d+-[\d.]+$/.test(d) && read(d, 'serial') === serial && read(d, 'idProduct') === hex(productId, 4),
  )
  return dir && { read: (name) => read(dir, name), readInterface: (i, name) => read(`${dir}:1.${i}`, name) }
}

/**
 * One enumeration of the board: from opening the gadget to its disconnect.
 * DFU mode is served through FunctionFS, which holds the host back until
 * the board has the OUT data; firmware mode needs CDC class descriptors,
 * which FunctionFS refuses, so it goes through GadgetFS.
 */
class Session {
  #gadget
  #function
  // FunctionFS: composite handled SET_INTERFACE and told user space only 'enable'.
  #altUnknown = false

  static async open(usbFunction) {
    const session = new Session()
    session.#function = usbFunction
    const handler = (event) => session.#handle(event)
    const descriptors = { device: usbFunction.deviceDescriptor, configuration: usbFunction.configurationDescriptor }
    session.#gadget =
      usbFunction.mode === 'dfu'
        ? await FunctionFs.open(
            { name: `b${board.serialNumber}`.slice(0, 32), ...descriptors, strings: usbFunction.descriptors.strings },
            handler,
          )
        : await GadgetFs.open(descriptors, handler)
    return session
  }

  get udc() {
    return `${this.#gadget.constructor.name} on ${this.#gadget.udc}`
  }

  async #handle(event) {
    if (event.type === 'setup') {
      if (this.#altUnknown) await this.#syncAlternates()
      return this.#answer(event)
    }
    log(`${event.type}${event.speed ? ` (${event.speed} speed)` : ''}${event.code ? ` ${event.code}` : ''}`)
    // FunctionFS: 'enable' follows SET_CONFIGURATION or SET_INTERFACE, 'disable' a reset or unconfiguration.
    if (event.type === 'enable') {
      if (this.#function.configurationValue === 0)
        await this.#synthetic({ bmRequestType: 0x00, bRequest: 9, wValue: 1, wIndex: 0, wLength: 0 })
      this.#altUnknown = true
    } else if (event.type === 'disable') {
      await this.#synthetic({ bmRequestType: 0x00, bRequest: 9, wValue: 0, wIndex: 0, wLength: 0 })
    }
    return undefined
  }

  /** Tells the board the alternate settings the host selected, read from the host's sysfs (the host waits meanwhile). */
  async #syncAlternates() {
    this.#altUnknown = false
    const host = hostDevice(
      board.serialNumber,
      this.#function.deviceDescriptor[10] | (this.#function.deviceDescriptor[11] << 8),
    )
    if (!host) return log('alternate setting unknown: the host has no such device in sysfs')
    for (const [iface, count] of this.#function.descriptors.alternates.entries()) {
      const alt = Number(host.readInterface(iface, 'bAlternateSetting'))
      if (count > 1 && Number.isInteger(alt))
        await this.#synthetic({ bmRequestType: 0x01, bRequest: 11, wValue: alt, wIndex: iface, wLength: 0 })
    }
  }

  /** A standard request composite answered on the wire, replayed to the board so its state follows. */
  async #synthetic(setup) {
    try {
      const reply = await this.#function.handleSetup(setup)
      log(`replayed ${describe(setup)} -> ${reply.status}`)
    } catch (failure) {
      log(`replayed ${describe(setup)} -> ${failure.message}`)
    }
  }

  async #answer({ setup, data, error }) {
    const dirIn = (setup.bmRequestType & 0x80) !== 0
    let reply
    let outcome
    try {
      if (error) throw Object.assign(new Error(error), { code: error })
      reply = await this.#function.handleSetup(setup, data)
      if (reply.status === 'stall') {
        // The controller has acknowledged an OUT data stage before the board saw it; it cannot be stalled any more.
        outcome = data ? 'stall (impossible after the OUT data stage: acknowledged)' : 'stall'
      } else outcome = dirIn ? `in ${reply.data.length}` : data ? `out ${data.length}` : 'ack'
    } catch (failure) {
      // The board reset or lost power before answering: nothing goes on the wire.
      reply = null
      outcome =
        failure.name === 'UsbFunctionGoneError' ? 'no answer (board gone)' : `error ${failure.code ?? failure.message}`
    }
    log(`SETUP ${describe(setup)} -> ${outcome}`)
    return reply
  }

  /** Unbinds the gadget: the host sees the device unplugged (GadgetFS: closed once the host has dropped it). */
  end() {
    const productId = this.#function.deviceDescriptor[10] | (this.#function.deviceDescriptor[11] << 8)
    return this.#gadget.close(() => !hostDevice(board.serialNumber, productId), log)
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

process.on('message', (/** @type {{ cmd: string, mode?: import('../../dist/index.js').BoardMode }} */ message) => {
  if (message.cmd === 'unplug') board.unplug()
  else if (message.cmd === 'plug') board.plugIn({ mode: message.mode })
  else if (message.cmd === 'quit') quit()
})
process.on('SIGTERM', quit)
process.on('SIGINT', quit)

function quit() {
  board.close()
  queue(() =>
    new Promise((resolve) => (opts.log ? logStream.end(() => resolve()) : resolve())).then(() => process.exit()),
  )
}

queue(attach)
