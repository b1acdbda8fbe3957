// A download host that drives a DfuSe device the way dfu-util 0.11 does for
// `dfu-util -a 0 -s 0x080A0000:leave -D image.bin` (dfu-util's src/dfuse.c and
// src/main.c), written for the benchmark only, as the peer
// figure. It shares nothing with our driver's write path:
// - probe: read the alt-0 interface string (the memory layout) and the
//   serial number, each as libusb_get_string_descriptor_ascii does (language
//   table, then the string); the descriptor indexes come from libusb's cache;
// - status_again: GETSTATUS, sleep bwPollTimeout, expect dfuIDLE;
// - erase pass: walk the image in transfer-size chunks, ERASE_PAGE whenever a
//   chunk starts or ends in a page other than the last one erased;
// - write pass: for every chunk SET_ADDRESS(chunk) then DNLOAD block 2, each
//   followed by its GETSTATUS loop, sleeping bwPollTimeout after every
//   GETSTATUS (the first status after a special command must be dfuDNBUSY);
// - ABORT + GETSTATUS (must be dfuIDLE), then leave: SET_ADDRESS(start),
//   zero-length DNLOAD block 2, GETSTATUS until dfuDNLOAD-IDLE or MANIFEST.
// No verify. Every control transfer has dfu-util's 5 s timeout.
import { parseMemoryLayout } from '../../dist/index.js'

const TIMEOUT_MS = 5000
const DNLOAD = 1
const GETSTATUS = 3
const ABORT = 6
const STATE = { dfuIDLE: 2, dfuDNBUSY: 4, dfuDNLOAD_IDLE: 5, dfuMANIFEST: 7, dfuERROR: 10 }
const SET_ADDRESS = 0x21
const ERASE_PAGE = 0x41
const STRING = 3

const milliSleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined)

class DfuUtilStyleHost {
  constructor(device, iface, transferSize) {
    this.device = device
    this.iface = iface
    this.transferSize = transferSize
    this.lastErasedPage = 1 // never page-aligned, as dfu-util's initial value
  }

  setup(request, value) {
    return { requestType: 'class', recipient: 'interface', request, value, index: this.iface }
  }

  async getStatus() {
    const result = await this.device.controlTransferIn(this.setup(GETSTATUS, 0), 6, TIMEOUT_MS)
    if (result.status !== 'ok') throw new Error(`GETSTATUS: ${result.status}`)
    const d = result.data
    return {
      status: d.getUint8(0),
      pollTimeout: d.getUint8(1) | (d.getUint8(2) << 8) | (d.getUint8(3) << 16),
      state: d.getUint8(4),
    }
  }

  async download(block, data) {
    const result = await this.device.controlTransferOut(this.setup(DNLOAD, block), data, TIMEOUT_MS)
    if (result.status !== 'ok') throw new Error(`DNLOAD block ${block}: ${result.status}`)
  }

  async abortToIdle() {
    await this.device.controlTransferOut(this.setup(ABORT, 0), undefined, TIMEOUT_MS)
    const status = await this.getStatus()
    if (status.state !== STATE.dfuIDLE) throw new Error('Failed to enter idle state on abort')
    await milliSleep(status.pollTimeout)
  }

  /** dfuse_special_command: DNLOAD block 0, then GETSTATUS (first one dfuDNBUSY) and sleep, while busy. */
  async specialCommand(command, address) {
    const payload = new Uint8Array(5)
    payload[0] = command
    new DataView(payload.buffer).setUint32(1, address, true)
    await this.download(0, payload)
    let status
    let first = true
    do {
      status = await this.getStatus()
      if (first && status.state !== STATE.dfuDNBUSY)
        throw new Error(`Wrong state after command 0x${command.toString(16)}`)
      first = false
      await milliSleep(status.pollTimeout)
    } while (status.state === STATE.dfuDNBUSY)
    if (status.status !== 0) throw new Error(`command 0x${command.toString(16)} not correctly executed`)
  }

  /** dfuse_dnload_chunk: DNLOAD block 2, then GETSTATUS and sleep until idle, error or manifest. */
  async downloadChunk(data) {
    await this.download(2, data)
    let status
    do {
      status = await this.getStatus()
      await milliSleep(status.pollTimeout)
    } while (
      status.state !== STATE.dfuDNLOAD_IDLE &&
      status.state !== STATE.dfuERROR &&
      status.state !== STATE.dfuMANIFEST
    )
    if (status.status !== 0) throw new Error('Failed to write whole chunk')
  }

  async erasePass(layout, address, image) {
    for (let p = 0; p < image.length; p += this.transferSize) {
      const chunkAddress = address + p
      const chunkSize = Math.min(this.transferSize, image.length - p)
      const segment = layout.segments.find((s) => chunkAddress >= s.start && chunkAddress < s.end)
      if (!segment?.erasable) continue
      const pageOf = (a) => a - (a % segment.pageSize)
      for (let a = chunkAddress; a < chunkAddress + chunkSize; a += segment.pageSize) {
        if (pageOf(a) !== this.lastErasedPage) await this.erase(a, pageOf(a))
      }
      const last = chunkAddress + chunkSize - 1
      if (pageOf(last) !== this.lastErasedPage) await this.erase(last, pageOf(last))
    }
  }

  async erase(address, page) {
    this.lastErasedPage = page
    await this.specialCommand(ERASE_PAGE, address)
  }

  async writePass(address, image) {
    for (let p = 0; p < image.length; p += this.transferSize) {
      await this.specialCommand(SET_ADDRESS, address + p)
      await this.downloadChunk(image.subarray(p, p + this.transferSize))
    }
  }

  async leave(address) {
    await this.specialCommand(SET_ADDRESS, address)
    await this.downloadChunk(new Uint8Array(0))
  }
}

/** libusb_get_string_descriptor_ascii: the language table, then the string in the first language. */
async function readString(device, index) {
  const standard = (value, langId) => ({
    requestType: 'standard',
    recipient: 'device',
    request: 6,
    value,
    index: langId,
  })
  const languages = await device.controlTransferIn(standard(STRING << 8, 0), 255, TIMEOUT_MS)
  const langId = languages.data.getUint16(2, true)
  const result = await device.controlTransferIn(standard((STRING << 8) | index, langId), 255, TIMEOUT_MS)
  const bytes = new Uint8Array(result.data.buffer, result.data.byteOffset + 2, result.data.getUint8(0) - 2)
  return Buffer.from(bytes).toString('utf16le')
}

/**
 * Descriptor indexes and wTransferSize as libusb has them cached on Linux
 * (read from sysfs, no control transfer): call before counting or timing.
 */
export async function cachedDescriptors(device, iface = 0) {
  await device.open()
  await device.claimInterface(iface)
  const standard = (type, index, recipient = 'device') => ({
    requestType: 'standard',
    recipient,
    request: 6,
    value: (type << 8) | index,
    index: 0,
  })
  const dev = await device.controlTransferIn(standard(1, 0), 18)
  const head = await device.controlTransferIn(standard(2, 0), 9)
  const config = await device.controlTransferIn(standard(2, 0), head.data.getUint16(2, true))
  await device.releaseInterface(iface)
  await device.close()
  const bytes = new Uint8Array(config.data.buffer, config.data.byteOffset, config.data.byteLength)
  let alt0Name = 0
  let transferSize = 0
  for (let pos = 0; pos < bytes.length; pos += bytes[pos]) {
    if (bytes[pos + 1] === 4 && bytes[pos + 2] === iface && bytes[pos + 3] === 0) alt0Name = bytes[pos + 8]
    if (bytes[pos + 1] === 0x21) transferSize = bytes[pos + 5] | (bytes[pos + 6] << 8)
  }
  return { serialIndex: dev.data.getUint8(16), alt0Name, transferSize: Math.min(transferSize, 4096) }
}

/** Downloads `image` to `address` and leaves, as dfu-util 0.11 does; `cached` from cachedDescriptors(). */
export async function dfuUtilStyleDownload(device, address, image, cached, iface = 0) {
  await device.open()
  await device.claimInterface(iface)
  await device.selectAlternateInterface(iface, 0)
  try {
    const layout = parseMemoryLayout(await readString(device, cached.alt0Name))
    await readString(device, cached.serialIndex)
    const host = new DfuUtilStyleHost(device, iface, cached.transferSize)
    const start = await host.getStatus()
    await milliSleep(start.pollTimeout)
    if (start.state !== STATE.dfuIDLE || start.status !== 0) throw new Error(`device not idle (state ${start.state})`)
    await host.erasePass(layout, address, image)
    await host.writePass(address, image)
    await host.abortToIdle()
    await host.leave(address)
  } finally {
    await device.releaseInterface(iface).catch(() => {})
    await device.close().catch(() => {})
  }
}
