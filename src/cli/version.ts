import { createRequire } from 'node:module'

// Package files are found from this module's own place: two folders below
// package.json both in dist/cli/ and in the bundle in dist/bundle/. The
// standalone executable has no files: its build puts the values in instead.
const require = createRequire(import.meta.url)

/** flashdata's version, from package.json. */
export const { version } = require('../../package.json') as { version: string }

/** The installed `usb` package's version; read only when asked (--version, doctor). */
export function usbPackageVersion(): string {
  return (require('usb/package.json') as { version: string }).version
}
