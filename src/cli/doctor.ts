import { constants } from 'node:fs'
import { access, readdir, readFile } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import { type FlashdataError, toFlashdataError } from '../errors.js'
import { identify } from '../device/platforms.js'
import { cliHint, UDEV_INSTALL_COMMAND } from './hints.js'
import { listParticleSysfs, type SysfsUsbDevice } from '../device/sysfs.js'
import { SERIAL_RULE, shownSerial, toBoardSerial } from '../device/serial.js'
import { usbId } from '../text.js'
import { versions } from './versions.js'

export type CheckStatus = 'pass' | 'warn' | 'fail'

export interface Check {
  name: 'node' | 'usb-library' | 'usb-access' | 'udev-rule' | 'boards' | 'browser'
  status: CheckStatus
  /** What was found, in one line. */
  summary: string
  /** Facts behind the summary, one a line (a board and its drivers). */
  details?: string[]
  /** What to do, when the check did not pass. */
  fix?: string
}

export interface DoctorHost {
  /** Where /sys, /dev and /etc are: `/`, or a fake tree (FLASHDATA_HOST_ROOT, for tests only). */
  root: string
  platform: NodeJS.Platform
  env: Record<string, string | undefined>
  isRoot: boolean
}

/** The Node lines CI runs the suite on (package.json's engines). */
const TESTED_NODE = /^(20|22|24)\./

function nodeCheck(): Check {
  const node = process.versions.node
  if (TESTED_NODE.test(node)) return { name: 'node', status: 'pass', summary: `Node.js ${node}` }
  return {
    name: 'node',
    status: 'warn',
    summary: `Node.js ${node} is not a line flashdata is tested on (20, 22, 24)`,
    fix: 'Install Node.js 22 or 24 (LTS), or use the standalone executable.',
  }
}

async function usbLibraryCheck(): Promise<Check> {
  const { openSystemUsb } = await import('../device/system-usb.js')
  try {
    const bus = await openSystemUsb()
    bus.close()
    const { usb } = versions()
    return { name: 'usb-library', status: 'pass', summary: `usb ${usb} loads (nusb backend: no libusb needed)` }
  } catch (error) {
    const failure = error as FlashdataError
    return {
      name: 'usb-library',
      status: 'fail',
      summary: failure.message,
      fix: cliHint(failure),
    }
  }
}

const describeDevice = (device: SysfsUsbDevice) => {
  const known = identify(device.vendorId, device.productId)
  const what = known
    ? `${known.platform.label} in ${known.mode === 'dfu' ? 'DFU mode' : 'firmware mode'}`
    : 'Particle device'
  const drivers = device.interfaces.map((i) => `interface ${i.number}: ${i.driver ?? 'no driver'}`).join(', ')
  return `${what} (${usbId(device.vendorId, device.productId)}) serial ${toBoardSerial(device.serial) ? device.serial : `${shownSerial(device.serial)} (refused: not ${SERIAL_RULE})`} at port ${device.port}, ${device.devnode}${drivers ? `; ${drivers}` : ''}`
}

/** Linux: every board's device node must be readable and writable by this user. */
async function usbAccessCheck(host: DoctorHost, devices: SysfsUsbDevice[]): Promise<Check> {
  const bus = join(host.root, 'dev/bus/usb')
  if (
    !(await access(bus).then(
      () => true,
      () => false,
    ))
  ) {
    return {
      name: 'usb-access',
      status: 'warn',
      summary: `${bus} does not exist: no USB devices are visible here`,
      fix: "In a container or VM, pass the host's USB through (docker: --device /dev/bus/usb).",
    }
  }
  if (devices.length === 0)
    return {
      name: 'usb-access',
      status: 'pass',
      summary: `${bus} is present; no Particle board is connected to check its permissions`,
    }
  const denied = []
  for (const device of devices) {
    if (
      !(await access(device.devnode, constants.R_OK | constants.W_OK).then(
        () => true,
        () => false,
      ))
    )
      denied.push(device.devnode)
  }
  if (denied.length === 0)
    return {
      name: 'usb-access',
      status: 'pass',
      summary: `this user may open ${devices.length === 1 ? 'the board' : `all ${devices.length} boards`} (${devices.map((d) => d.devnode).join(', ')})`,
    }
  return {
    name: 'usb-access',
    status: 'fail',
    summary: `this user may not open ${denied.join(', ')}`,
    fix: `Install the udev rule, then replug the board: ${UDEV_INSTALL_COMMAND}`,
  }
}

const RULES_DIRS = ['etc/udev/rules.d', 'run/udev/rules.d', 'usr/lib/udev/rules.d', 'lib/udev/rules.d']

/** A rules file with an uncommented line naming vendor 2b04 (ours, or Particle CLI's). */
async function udevRuleCheck(host: DoctorHost): Promise<Check> {
  for (const dir of RULES_DIRS.map((d) => join(host.root, d))) {
    for (const name of (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.rules')).sort()) {
      const text = await readFile(join(dir, name), 'utf8').catch(() => '')
      if (text.split('\n').some((line) => !line.trimStart().startsWith('#') && /2b04/i.test(line))) {
        return { name: 'udev-rule', status: 'pass', summary: `installed: ${join(dir, name)}` }
      }
    }
  }
  if (host.isRoot)
    return {
      name: 'udev-rule',
      status: 'warn',
      summary: 'no udev rule for Particle boards (2b04); root needs none, other users do',
      fix: UDEV_INSTALL_COMMAND,
    }
  return {
    name: 'udev-rule',
    status: 'warn',
    summary: 'no udev rule for Particle boards (2b04): only root may open them',
    fix: UDEV_INSTALL_COMMAND,
  }
}

function boardsCheck(devices: SysfsUsbDevice[]): Check {
  if (devices.length === 0) {
    return {
      name: 'boards',
      status: 'warn',
      summary: 'no Particle board on USB',
      fix: 'Connect the board with a data USB cable (a charge-only cable shows nothing), then run flashdata doctor again.',
    }
  }
  const details = devices.map(describeDevice)
  const claimed = devices.filter((d) => d.interfaces.some((i) => i.driver === 'usbfs'))
  if (claimed.length > 0) {
    return {
      name: 'boards',
      status: 'warn',
      summary: `${devices.length} seen; ${claimed.map((d) => d.port).join(', ')} held open by a program (usbfs)`,
      details,
      fix: 'Close the other program using the board (another flashdata, dfu-util, the Particle CLI), then run the command again.',
    }
  }
  return { name: 'boards', status: 'pass', summary: `${devices.length} seen`, details }
}

/** Boards as the usb package sees them, where there is no sysfs to read drivers from. */
async function boardsFromUsbCheck(): Promise<Check> {
  const { openBus } = await import('../device/open-bus.js')
  const { surveyBus } = await import('../device/wait.js')
  const { describeRefused } = await import('../device/select.js')
  try {
    const { bus, close } = await openBus()
    try {
      const { boards, refused } = await surveyBus(bus)
      if (boards.length + refused.length === 0) return boardsCheck([])
      return {
        name: 'boards',
        status: 'pass',
        summary: `${boards.length + refused.length} seen`,
        details: [
          ...boards.map(
            (b) =>
              `${b.info.label} in ${b.info.mode === 'dfu' ? 'DFU mode' : 'firmware mode'} serial ${b.info.serial}${b.info.path ? ` at ${b.info.path}` : ''}`,
          ),
          ...refused.map(describeRefused),
        ],
      }
    } finally {
      await close()
    }
  } catch (error) {
    return {
      name: 'boards',
      status: 'fail',
      summary: (error as Error).message,
      fix: cliHint(toFlashdataError(error)),
    }
  }
}

const LINUX_BROWSERS = [
  'google-chrome',
  'google-chrome-stable',
  'chromium',
  'chromium-browser',
  'microsoft-edge',
  'microsoft-edge-stable',
  'brave-browser',
  'opera',
  'vivaldi',
]
const MAC_BROWSERS = ['Google Chrome', 'Microsoft Edge', 'Chromium', 'Brave Browser', 'Opera', 'Vivaldi'].map(
  (name) => `/Applications/${name}.app`,
)
const WINDOWS_BROWSERS = [
  'Google\\Chrome\\Application\\chrome.exe',
  'Microsoft\\Edge\\Application\\msedge.exe',
  'BraveSoftware\\Brave-Browser\\Application\\brave.exe',
]

async function firstExisting(paths: string[], mode = constants.F_OK): Promise<string | undefined> {
  for (const path of paths)
    if (
      await access(path, mode).then(
        () => true,
        () => false,
      )
    )
      return path
  return undefined
}

/** A Chromium-family browser, which has WebUSB (Firefox and Safari do not). */
async function browserCheck(host: DoctorHost): Promise<Check> {
  let found: string | undefined
  if (host.platform === 'darwin') found = await firstExisting(MAC_BROWSERS)
  else if (host.platform === 'win32') {
    const bases = [host.env.PROGRAMFILES, host.env['PROGRAMFILES(X86)'], host.env.LOCALAPPDATA].filter(
      (b): b is string => Boolean(b),
    )
    found = await firstExisting(bases.flatMap((base) => WINDOWS_BROWSERS.map((exe) => `${base}\\${exe}`)))
  } else {
    const dirs = (host.env.PATH ?? '').split(delimiter).filter(Boolean)
    found = await firstExisting(
      LINUX_BROWSERS.flatMap((name) => dirs.map((dir) => join(dir, name))),
      constants.X_OK,
    )
  }
  if (found) return { name: 'browser', status: 'pass', summary: `${found} has WebUSB for flashdata web` }
  return {
    name: 'browser',
    status: 'warn',
    summary: 'no Chrome, Edge or Chromium found: the page (flashdata web) needs WebUSB',
    fix: 'Install Chrome, Edge or Chromium for flashdata web (Firefox and Safari have no WebUSB); the commands here need no browser.',
  }
}

/** Every check, in the order a user fixes things: the runtime, USB access, the boards, the page. */
export async function runDoctor(host: DoctorHost): Promise<Check[]> {
  const checks = [nodeCheck(), await usbLibraryCheck()]
  if (host.platform === 'linux') {
    const devices = await listParticleSysfs(host.root)
    checks.push(await usbAccessCheck(host, devices), await udevRuleCheck(host), boardsCheck(devices))
  } else {
    checks.push(await boardsFromUsbCheck())
  }
  checks.push(await browserCheck(host))
  return checks
}
