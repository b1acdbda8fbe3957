/**
 * The least a Node.js process with the `usb` package can do to write an
 * image into sector 9 of an Electron in DFU mode and read it back: no CLI,
 * no checks, no state recovery, the fewest requests the bootloader takes
 * (erase, one SET_ADDRESS, then per 4 KiB block a DNLOAD and its two
 * GETSTATUS; one ABORT and an UPLOAD per block to read back). The timing
 * test runs it beside dfu-util and flashdata, so every run shows the floor
 * that Node and the `usb` package set for a push with verify.
 *
 *   node test-usb/dfuse-floor.js SERIAL IMAGE
 * Prints { ms: { start, open, erase, write, verify } } and exits 0 when the read-back matches.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const started = performance.now()
const { WebUSB } = createRequire(import.meta.url)('usb')
const [serial, file] = process.argv.slice(2)
const image = readFileSync(file)
const SECTOR_9 = 0x080a0000
const BLOCK = 4096
const TIMEOUT_MS = 5000
const REQUEST = { DNLOAD: 1, UPLOAD: 2, GETSTATUS: 3, ABORT: 6 }

const device = (await new WebUSB({ allowAllDevices: true }).getDevices()).find((d) => d.serialNumber === serial)
const setup = (request, value) => ({ requestType: 'class', recipient: 'interface', request, value, index: 0 })
const out = (request, value, data) => device.controlTransferOut(setup(request, value), data, TIMEOUT_MS)
const inn = (request, value, length) => device.controlTransferIn(setup(request, value), length, TIMEOUT_MS)
/** A DNLOAD, then the two GETSTATUS that carry out and end it (busy, then idle). */
async function download(block, data) {
  await out(REQUEST.DNLOAD, block, data)
  await inn(REQUEST.GETSTATUS, 0, 6)
  await inn(REQUEST.GETSTATUS, 0, 6)
}
const command = (code, address) => {
  const payload = Buffer.alloc(5)
  payload[0] = code
  payload.writeUInt32LE(address, 1)
  return download(0, payload)
}

const ms = { start: performance.now() - started }
let t = performance.now()
const lap = (name) => {
  ms[name] = performance.now() - t
  t = performance.now()
}
await device.open()
await device.claimInterface(0)
lap('open')
await command(0x41, SECTOR_9)
lap('erase')
await command(0x21, SECTOR_9)
for (let offset = 0, block = 2; offset < image.length; offset += BLOCK, block++)
  await download(block, image.subarray(offset, offset + BLOCK))
lap('write')
await out(REQUEST.ABORT, 0, new Uint8Array(0))
const back = []
for (let offset = 0, block = 2; offset < image.length; offset += BLOCK, block++) {
  const { data } = await inn(REQUEST.UPLOAD, block, Math.min(BLOCK, image.length - offset))
  back.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
}
await out(REQUEST.ABORT, 0, new Uint8Array(0))
lap('verify')
await device.releaseInterface(0)
await device.close()
console.log(JSON.stringify({ ms }))
process.exitCode = Buffer.concat(back).equals(image) ? 0 : 1
