/**
 * A configfs gadget with one FunctionFS function (drivers/usb/gadget/function/f_fs.c)
 * on a free UDC. The kernel's composite layer answers the standard requests
 * (device, configuration and string descriptors, SET_CONFIGURATION,
 * SET_INTERFACE, GET_INTERFACE); class and vendor requests come to user space
 * as SETUP events, and an OUT data stage is only queued when user space reads
 * it, so the host waits for the answer instead of racing ahead (GadgetFS does
 * not wait; see ep0-worker.js). One instance per board, so two boards can be
 * served on two dummy UDCs.
 *
 * What composite decides instead of the board:
 * - string indexes: manufacturer, product and serial get 1, 2, 3 as on the
 *   board; the function's strings are numbered from 4 on, so the strings the
 *   interfaces name are kept at their indexes by also giving the board's
 *   strings in between. No configuration string is set: iConfiguration is 0.
 * - the alt number: user space only sees an 'enable' event on SET_INTERFACE
 *   and SET_CONFIGURATION (the gadget bridge asks the host side for it).
 * - FunctionFS refuses class-specific descriptors other than HID, CCID and
 *   DFU ones, so a CDC function cannot be served this way.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { Ep0 } from './ep0.js'

const CONFIGFS = '/sys/kernel/config/usb_gadget'
const DESCRIPTORS_MAGIC_V2 = 3
const STRINGS_MAGIC = 2
const FS_DESC = 1
/** Vendor requests to the device (the bootloader's WCID answers) come to user space too. */
const ALL_CTRL_RECIP = 64
const INTERFACE = 4
/** Composite numbers the gadget's own strings (manufacturer, product, serial) 1-3. */
const FIRST_FUNCTION_STRING = 4

const le16 = (n) => [n & 0xff, (n >> 8) & 0xff]
const hex4 = (n) => `0x${n.toString(16).padStart(4, '0')}`

/** The descriptors after the configuration descriptor, split one per entry. */
function split(configuration) {
  const out = []
  for (let off = configuration[0]; off < configuration.length && configuration[off] > 0; off += configuration[off]) {
    out.push(Buffer.from(configuration.subarray(off, off + configuration[off])))
  }
  return out
}

/** FunctionFS v2 descriptors (full speed only) and strings for the interfaces of `configuration`. */
export function functionBlocks(configuration, strings) {
  const descriptors = split(configuration)
  let last = 0
  for (const d of descriptors) {
    if (d[1] !== INTERFACE || d[8] === 0) continue
    if (d[8] < FIRST_FUNCTION_STRING) throw new Error(`iInterface ${d[8]} is below the first function string index`)
    last = Math.max(last, d[8])
    d[8] = d[8] - FIRST_FUNCTION_STRING + 1 // FunctionFS numbers its strings from 1
  }
  const body = Buffer.concat(descriptors)
  const header = Buffer.alloc(16)
  header.writeUInt32LE(DESCRIPTORS_MAGIC_V2, 0)
  header.writeUInt32LE(16 + body.length, 4)
  header.writeUInt32LE(FS_DESC | ALL_CTRL_RECIP, 8)
  header.writeUInt32LE(descriptors.length, 12)
  const texts = []
  for (let index = FIRST_FUNCTION_STRING; index <= last; index++) texts.push(`${strings.get(index) ?? ''}\0`)
  const table = Buffer.concat([
    Buffer.from([...le32(texts.length), ...le32(1), ...le16(0x0409)]),
    Buffer.from(texts.join(''), 'latin1'),
  ])
  const stringsBlock = Buffer.concat([Buffer.from([...le32(STRINGS_MAGIC), ...le32(8 + table.length)]), table])
  return [Buffer.concat([header, body]), stringsBlock]
}

function le32(n) {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
}

const write = (path, value) => writeFileSync(path, `${value}\n`)

/** The configfs gadget `name` presenting `device` (its descriptor) with one FunctionFS function; returns its ep0 path. */
function setUpGadget(name, device, configuration, strings) {
  const g = `${CONFIGFS}/${name}`
  const mount = `/dev/ffs-${name}`
  mkdirSync(`${g}/strings/0x409`, { recursive: true })
  const d = Buffer.from(device)
  write(`${g}/bcdUSB`, hex4(d.readUInt16LE(2)))
  write(`${g}/bDeviceClass`, d[4])
  write(`${g}/bDeviceSubClass`, d[5])
  write(`${g}/bDeviceProtocol`, d[6])
  write(`${g}/idVendor`, hex4(d.readUInt16LE(8)))
  write(`${g}/idProduct`, hex4(d.readUInt16LE(10)))
  write(`${g}/bcdDevice`, hex4(d.readUInt16LE(12)))
  write(`${g}/max_speed`, 'full-speed')
  for (const [field, index] of [
    ['manufacturer', d[14]],
    ['product', d[15]],
    ['serialnumber', d[16]],
  ]) {
    write(`${g}/strings/0x409/${field}`, strings.get(index) ?? '')
  }
  mkdirSync(`${g}/configs/c.1`, { recursive: true })
  write(`${g}/configs/c.1/bmAttributes`, configuration[7])
  write(`${g}/configs/c.1/MaxPower`, configuration[8] * 2)
  mkdirSync(`${g}/functions/ffs.${name}`, { recursive: true })
  if (!existsSync(`${g}/configs/c.1/ffs.${name}`))
    symlinkSync(`${g}/functions/ffs.${name}`, `${g}/configs/c.1/ffs.${name}`)
  mkdirSync(mount, { recursive: true })
  if (!readFileSync('/proc/mounts', 'utf8').includes(` ${mount} `))
    execFileSync('mount', ['-t', 'functionfs', name, mount])
  return { gadget: g, ep0: `${mount}/ep0` }
}

/** Binds the gadget to the first UDC no gadget is bound to; returns its name. */
function bind(gadget) {
  const free = readdirSync('/sys/class/udc')
    .sort()
    .filter((udc) => readFileSync(`/sys/class/udc/${udc}/function`, 'utf8').trim() === '')
  for (const udc of free) {
    try {
      write(`${gadget}/UDC`, udc)
      return udc
    } catch (error) {
      if (error.code !== 'EBUSY' && error.code !== 'ENODEV') throw error
    }
  }
  throw new Error(`no free UDC for ${gadget} (${readdirSync('/sys/class/udc').join(', ')} all bound)`)
}

export class FunctionFs {
  #ep0
  #gadget
  udc

  /**
   * Sets up gadget `name` (idempotent), writes the function's descriptors and
   * strings, and binds it: the host sees the device plugged in.
   * `strings`: index -> text, as the board numbers them. `handler`: see ep0.js.
   */
  static async open({ name, device, configuration, strings }, handler) {
    const fs = new FunctionFs()
    const { gadget, ep0 } = setUpGadget(name, device, configuration, strings)
    fs.#gadget = gadget
    fs.#ep0 = await Ep0.open(
      { kind: 'functionfs', path: ep0, descriptors: functionBlocks(configuration, strings) },
      handler,
    )
    fs.udc = bind(gadget)
    return fs
  }

  /** Unbinds the gadget (the host sees it unplugged) and closes ep0. Resolves when done. */
  close() {
    this.#ep0.requestClose()
    // The unbind wakes the worker's blocking read with an 'unbind' event.
    if (readFileSync(`${this.#gadget}/UDC`, 'utf8').trim()) write(`${this.#gadget}/UDC`, '')
    return this.#ep0.closed
  }
}
