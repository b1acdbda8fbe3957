import { usbPackageVersion, version } from './version.js'

export interface Versions {
  flashdata: string
  node: string
  platform: string
  usb: string
  /** What the `usb` package talks to the operating system with. */
  usbBackend: 'nusb'
  /** null: the `usb` package has no libusb in it. */
  libusb: null
}

/**
 * The versions a bug report needs. The `usb` package (3.x) is built on nusb,
 * a Rust USB library that talks to the kernel itself (usbfs on Linux, IOKit,
 * WinUSB): there is no libusb to name. test/cli/version.test.ts checks the
 * installed addon is built on nusb.
 */
export function versions(): Versions {
  return {
    flashdata: version,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    usb: usbPackageVersion(),
    usbBackend: 'nusb',
    libusb: null,
  }
}

export function versionsText(v: Versions): string {
  return `flashdata ${v.flashdata}\nNode.js ${v.node} (${v.platform})\nusb ${v.usb} (nusb backend: no libusb needed)\n`
}
