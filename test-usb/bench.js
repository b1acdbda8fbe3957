/**
 * Helpers for the tests that run inside the USB bench VM: the USB gadget
 * stack, emulated boards served by the gadget bridge, and the peers
 * (dfu-util, particle-usb and the flashdata CLI) run as separate processes.
 */
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('..', import.meta.url))
const BRIDGE = `${REPO}scripts/usb-bench/gadget-bridge.js`
const CLI = `${REPO}bin/flashdata.js`

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * dummy_hcd (two full-speed host/device controller pairs), configfs with
 * FunctionFS (DFU mode), GadgetFS (firmware mode) and the CDC ACM host driver,
 * then udevd (see startUdevd). Safe to call again.
 */
export function loadUsbStack() {
  // Loaded here rather than on demand: udevd starts after the controllers exist.
  execFileSync('modprobe', ['dummy_hcd', 'is_high_speed=0', 'num=2'])
  for (const module of ['libcomposite', 'usb_f_fs', 'gadgetfs', 'cdc_acm']) execFileSync('modprobe', [module])
  const mounted = (path) => readFileSync('/proc/mounts', 'utf8').includes(` ${path} `)
  if (!mounted('/sys/kernel/config')) execFileSync('mount', ['-t', 'configfs', 'configfs', '/sys/kernel/config'])
  mkdirSync('/dev/gadget', { recursive: true })
  if (!mounted('/dev/gadget')) execFileSync('mount', ['-t', 'gadgetfs', 'gadgetfs', '/dev/gadget'])
  startUdevd()
}

const UDEVD = ['/lib/systemd/systemd-udevd', '/usr/lib/systemd/systemd-udevd'].find((path) => existsSync(path))
const udevdRunning = () => spawnSync('udevadm', ['control', '--ping', '--timeout=1']).status === 0

/**
 * The host's systemd-udevd (visible in the VM through its root): libusb
 * builds that use udev (particle-usb's usb 2.x) learn of a board that
 * re-enumerated (leave, the DFU switch) only from udevd's events, and
 * Chromium's WebUSB too. Started detached, left to run until the VM powers
 * off; the add events of devices already there are replayed.
 */
function startUdevd() {
  if (!UDEVD || udevdRunning()) return
  const udevd = spawn(UDEVD, [], { detached: true, stdio: 'ignore' })
  udevd.unref()
  const deadline = Date.now() + WAIT_CAP_MS
  while (!udevdRunning()) {
    if (Date.now() > deadline) throw new Error(`${UDEVD} did not answer udevadm control --ping`)
    spawnSync('sleep', ['0.1'])
  }
  execFileSync('udevadm', ['trigger', '--action=add', '--subsystem-match=usb'])
  spawnSync('udevadm', ['settle', `--timeout=${WAIT_CAP_MS / 1000}`])
}

/**
 * Runs a command to completion: { code, stdout, stderr, ms }. Never throws on
 * a non-zero exit; the tests look at the code. `onLine` sees each stdout line as it comes.
 * @param {string} command
 * @param {string[]} args
 * @param {{ timeoutMs?: number, onLine?: (line: string) => void }} [options]
 */
export function run(command, args, { timeoutMs = 120_000, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(command, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      const complete = stdout.lastIndexOf('\n') + 1
      stdout += chunk
      if (onLine)
        stdout
          .slice(complete, stdout.lastIndexOf('\n') + 1)
          .split('\n')
          .filter(Boolean)
          .forEach(onLine)
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code, signal) =>
      resolve({ code: code ?? signal, stdout, stderr, ms: performance.now() - started }),
    )
  })
}

/**
 * The flashdata CLI with --json where it applies: { code, events, result, stderr, ms }.
 * `onEvent` sees each JSON event as it is printed.
 * @param {string[]} args
 * @param {{ timeoutMs?: number, onEvent?: (event: any) => void }} [options]
 */
export async function flashdata(args, { onEvent, ...options } = {}) {
  const onLine = onEvent && ((line) => line.startsWith('{') && onEvent(JSON.parse(line)))
  const out = await run('node', [CLI, ...args], { ...options, onLine })
  const events = out.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
  const result = events.findLast((event) => event.type === 'result' || event.type === 'error') ?? events.at(-1)
  return { ...out, events, result }
}

/** The USB devices the host's USB core has enumerated, from sysfs: [{ path, vendorId, productId, serial, devnum }]. */
export function usbDevices() {
  const root = '/sys/bus/usb/devices'
  // A device that is going away fails reads of its attributes (ENODEV): it counts as absent.
  const read = (dir, name) => {
    try {
      return readFileSync(`${root}/${dir}/${name}`, 'utf8').trim()
    } catch {
      return undefined
    }
  }
  return readdirSync(root)
    .filter((dir) => /^\d+-[\d.]+$/.test(dir))
    .map((dir) => ({
      path: dir,
      vendorId: read(dir, 'idVendor'),
      productId: read(dir, 'idProduct'),
      serial: read(dir, 'serial'),
      devnum: Number(read(dir, 'devnum')),
      configured: Boolean(read(dir, 'bConfigurationValue')),
    }))
}

/**
 * How long a wait for something that is under way may take at most. The
 * waits end on their condition; this only bounds a wait that can no longer
 * end (the TCG VM on a loaded host is many times slower than a machine).
 */
const WAIT_CAP_MS = 120_000

/** Waits until a configured device with this serial (and product id, if given) is on the bus. */
export async function waitForDevice(serial, productId, timeoutMs = WAIT_CAP_MS) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const device = usbDevices().find(
      (d) => d.serial === serial && d.configured && (!productId || d.productId === productId),
    )
    if (device) return device
    if (Date.now() > deadline)
      throw new Error(
        `no device ${serial}${productId ? ` (${productId})` : ''} on the bus: ${JSON.stringify(usbDevices())}`,
      )
    await sleep(50)
  }
}

export const DFU_PRODUCT = 'd00a'
export const FIRMWARE_PRODUCT = 'c00a'

/** An EmulatedElectron served on the USB bus by the gadget bridge, in its own process. */
export class BridgedBoard {
  #child
  #waiters = []
  #exit = null
  events = []

  /**
   * @param {string} serial
   * @param {{ mode?: 'dfu' | 'firmware', timing?: 'instant' | 'datasheet', deviceOs?: string, log?: string }} [options]
   */
  constructor(serial, { mode = 'dfu', timing = 'datasheet', deviceOs, log } = {}) {
    this.serial = serial
    const args = [
      '--serial',
      serial,
      '--mode',
      mode,
      '--timing',
      timing,
      ...(deviceOs ? ['--device-os', deviceOs] : []),
      ...(log ? ['--log', log] : []),
    ]
    this.#child = fork(BRIDGE, args, { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const wake = () => {
      for (const waiter of this.#waiters.splice(0)) waiter()
    }
    this.#child.on('message', (message) => {
      this.events.push(message)
      wake()
    })
    this.#child.on('exit', (code, signal) => {
      this.#exit = code ?? signal
      wake()
    })
  }

  /** Resolves at the next bridge event of this type (e.g. 'attached') after the call; fails if the bridge exits first. */
  async next(event, timeoutMs = WAIT_CAP_MS) {
    const from = this.events.length
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.events.slice(from).find((e) => e.event === event)
      if (found) return found
      if (this.#exit !== null)
        throw new Error(`bridge ${this.serial}: exited (${this.#exit}) before a '${event}' event`)
      if (Date.now() > deadline) throw new Error(`bridge ${this.serial}: no '${event}' event in ${timeoutMs / 1000} s`)
      await Promise.race([new Promise((resolve) => this.#waiters.push(resolve)), sleep(200)])
    }
  }

  /** The bridge's exit code (or signal) once it has exited, else null. */
  get exitCode() {
    return this.#exit
  }

  /** Pulls the cable: the gadget disconnects and the board loses power. */
  unplug() {
    this.#child.send({ cmd: 'unplug' })
  }

  plugIn(mode) {
    this.#child.send({ cmd: 'plug', mode })
  }

  /** Unplugs the board and ends the bridge once its gadget is closed. */
  async quit() {
    if (this.#exit !== null) return
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.send({ cmd: 'quit' })
    let timer
    await Promise.race([
      exited,
      new Promise((resolve) => {
        timer = setTimeout(resolve, WAIT_CAP_MS)
      }),
    ])
    clearTimeout(timer)
    this.#child.kill()
  }
}
