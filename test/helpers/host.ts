/** A fake host for doctor and udev: /sys, /dev and /etc under a folder (FLASHDATA_HOST_ROOT). */
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** A USB device in a fake sysfs: its attributes, and its interfaces with the driver bound to each. */
export async function sysfsDevice(
  root: string,
  port: string,
  attrs: Record<string, string>,
  drivers: Array<string | undefined> = [],
) {
  const devices = join(root, 'sys/bus/usb/devices')
  await mkdir(join(devices, port), { recursive: true })
  for (const [name, value] of Object.entries(attrs)) await writeFile(join(devices, port, name), `${value}\n`)
  for (const [number, driver] of drivers.entries()) {
    const dir = join(devices, `${port}:1.${number}`)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'bInterfaceNumber'), `0${number}\n`)
    if (driver) await symlink(`../../../bus/usb/drivers/${driver}`, join(dir, 'driver'))
  }
}
