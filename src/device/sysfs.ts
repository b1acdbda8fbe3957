import { readdir, readFile, readlink } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { PARTICLE_VENDOR_ID } from './platforms.js'

/** A Particle USB device as Linux's sysfs describes it, without opening it. */
export interface SysfsUsbDevice {
  /** The kernel's name for its port, as `devices` prints it (`1-1.2`). */
  port: string
  vendorId: number
  productId: number
  serial?: string
  /** Its device node, which the udev rule's permissions apply to. */
  devnode: string
  /** Each interface with the kernel driver bound to it (`usbfs`: a program has claimed it). */
  interfaces: Array<{ number: number; driver?: string }>
}

const readText = (path: string) =>
  readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  )

/**
 * The Particle devices (vendor 2b04) under `<root>/sys/bus/usb/devices`, and
 * their nodes under `<root>/dev/bus/usb`; an empty list where there is no
 * sysfs (not Linux, or a container without it).
 */
export async function listParticleSysfs(root = '/'): Promise<SysfsUsbDevice[]> {
  const dir = join(root, 'sys/bus/usb/devices')
  const names = await readdir(dir).catch(() => [] as string[])
  const found: SysfsUsbDevice[] = []
  for (const name of names.filter((n) => !n.includes(':')).sort()) {
    const path = join(dir, name)
    const vendorId = Number.parseInt((await readText(join(path, 'idVendor'))) ?? '', 16)
    if (vendorId !== PARTICLE_VENDOR_ID) continue
    const productId = Number.parseInt((await readText(join(path, 'idProduct'))) ?? '', 16)
    const busnum = Number(await readText(join(path, 'busnum')))
    const devnum = Number(await readText(join(path, 'devnum')))
    const interfaces = []
    for (const entry of names.filter((n) => n.startsWith(`${name}:`)).sort()) {
      const number = Number.parseInt((await readText(join(dir, entry, 'bInterfaceNumber'))) ?? '', 16)
      const driver = await readlink(join(dir, entry, 'driver')).then(
        (target) => basename(target),
        () => undefined,
      )
      interfaces.push({ number, driver })
    }
    found.push({
      port: name,
      vendorId,
      productId,
      serial: await readText(join(path, 'serial')),
      devnode: join(root, 'dev/bus/usb', String(busnum).padStart(3, '0'), String(devnum).padStart(3, '0')),
      interfaces,
    })
  }
  return found
}
