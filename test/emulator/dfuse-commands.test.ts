// docs/electron-bootloader.md#dfuse-commands and docs/electron-bootloader.md#address-rules: block-0
// commands, block addressing, programming rules, address checks.
import { describe, expect, it } from 'vitest'
import {
  ABORT,
  DNLOAD,
  STATE,
  UPLOAD,
  bytes,
  classIn,
  classOut,
  command,
  dfuBoard,
  download,
  erase,
  getStatus,
  pattern,
  readAt,
  sameBytes,
  SECTOR_9,
  setAddress,
  writeAt,
} from './helpers.js'

const OK_IDLE = [0, 0, 0, 0, STATE.dfuDNLOAD_IDLE, 0]
const ok = { dnload: 'ok', first: [0, 0, 0, 0, STATE.dfuDNBUSY, 0], second: OK_IDLE }
const refused = { dnload: 'ok', first: 'stall', second: OK_IDLE }

describe('block 0 commands', () => {
  it('0x00 with length 1 is a no-op that succeeds', async () => {
    const { emu, device } = await dfuBoard()
    expect(await download(device, 0, command(0x00))).toEqual(ok)
    expect(emu.flashLog).toEqual([])
  })

  it('0x21 SET_ADDRESS moves the pointer, with no range check', async () => {
    const { emu, device } = await dfuBoard()
    expect(await setAddress(device, 0x12345678)).toEqual(ok)
    expect(await setAddress(device, SECTOR_9 + 0x40)).toEqual(ok)
    await classOut(device, ABORT, 0)
    expect(bytes((await classIn(device, UPLOAD, 2, 8)).data)).toEqual([...emu.readFlash(SECTOR_9 + 0x40, 8)])
  })

  it('0x41 ERASE erases the whole sector containing the address (no alignment needed) and sets the pointer', async () => {
    const { emu, device } = await dfuBoard()
    await writeAt(device, SECTOR_9, new Uint8Array(4096))
    await writeAt(device, SECTOR_9 + 0x1f000, new Uint8Array(4096))
    expect(await erase(device, SECTOR_9 + 0x1234)).toEqual(ok)
    expect(emu.readFlash(SECTOR_9, 0x20000).every((b) => b === 0xff)).toBe(true)
    expect(emu.flashLog.at(-1)).toEqual({ op: 'erase', address: SECTOR_9, length: 0x20000 })
    await classOut(device, DNLOAD, 2, Uint8Array.of(0x11))
    await getStatus(device)
    expect(emu.readFlash(SECTOR_9 + 0x1234, 4)).toEqual(Uint8Array.of(0x11, 0xff, 0xff, 0xff))
  })

  it('mass erase (0x41 alone), 0x92 read-unprotect, Gen 3 0xFA/0xFB and wrong lengths are refused: GETSTATUS #1 stalls', async () => {
    const { emu, device } = await dfuBoard()
    for (const data of [
      command(0x41),
      command(0x92),
      command(0xfa),
      command(0xfb),
      command(0x21).subarray(0, 1),
      Uint8Array.of(0x21, 0, 0, 0x0a),
      Uint8Array.of(0x00, 0),
    ]) {
      expect(await download(device, 0, data)).toEqual(refused)
    }
    expect(emu.flashLog).toEqual([])
  })
})

describe('block addressing and programming', () => {
  it('block 1 is accepted and ignored', async () => {
    const { emu, device } = await dfuBoard()
    await setAddress(device, SECTOR_9)
    expect(await download(device, 1, pattern(64))).toEqual(ok)
    expect(emu.flashLog).toEqual([])
  })

  it('block n >= 2 is written at pointer + (n-2) * 4096, whatever the transfer length', async () => {
    const { emu, device } = await dfuBoard()
    await setAddress(device, SECTOR_9)
    expect(await download(device, 3, pattern(1024, 3))).toEqual(ok)
    expect(await download(device, 5, pattern(16, 5))).toEqual(ok)
    expect(emu.readFlash(SECTOR_9 + 4096, 1024)).toEqual(pattern(1024, 3))
    expect(emu.readFlash(SECTOR_9 + 3 * 4096, 16)).toEqual(pattern(16, 5))
    expect(emu.readFlash(SECTOR_9 + 1024 * 5, 16).every((b) => b === 0xff)).toBe(true)
  })

  it('a tail that is not a whole word is padded with 0xFF and programmed as a whole word', async () => {
    const { emu, device } = await dfuBoard()
    expect(await writeAt(device, SECTOR_9, Uint8Array.of(1, 2, 3, 4, 5))).toEqual(ok)
    expect(emu.flashLog).toEqual([{ op: 'program', address: SECTOR_9, length: 8 }])
    expect(emu.readFlash(SECTOR_9, 8)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 0xff, 0xff, 0xff))
  })

  it('programming can only clear bits: writing a value whose 1-bits are already set succeeds without an erase', async () => {
    const { emu, device } = await dfuBoard()
    await writeAt(device, SECTOR_9, Uint8Array.of(0xf0, 0x0f, 0xff, 0xff))
    expect(await writeAt(device, SECTOR_9, Uint8Array.of(0x30, 0x03, 0x7f, 0xff))).toEqual(ok)
    expect(emu.readFlash(SECTOR_9, 4)).toEqual(Uint8Array.of(0x30, 0x03, 0x7f, 0xff))
  })

  it('writing over unerased data that needs a 0 bit back to 1 fails verify: GETSTATUS #1 stalls, flash holds old AND new', async () => {
    const { emu, device } = await dfuBoard()
    await writeAt(device, SECTOR_9, Uint8Array.of(0x0f, 0xaa, 0x00, 0xff))
    expect(await writeAt(device, SECTOR_9, Uint8Array.of(0xf0, 0xff, 0x55, 0x3c))).toEqual(refused)
    expect(emu.readFlash(SECTOR_9, 4)).toEqual(Uint8Array.of(0x00, 0xaa, 0x00, 0x3c))
  })
})

describe('address rules', () => {
  it('erase and write below 0x08020000 are refused, even for sectors 3 and 4 that the layout string marks writable', async () => {
    const { emu, device } = await dfuBoard()
    const before = emu.readFlash(0x08000000, 0x20000)
    for (const address of [0x08000000, 0x08004000, 0x0800c000, 0x08010000, 0x0801ffff]) {
      expect(await erase(device, address)).toEqual(refused)
      expect(await writeAt(device, address, pattern(16))).toEqual(refused)
    }
    expect(sameBytes(emu.readFlash(0x08000000, 0x20000), before)).toBe(true)
    expect(emu.flashLog).toEqual([])
  })

  it('erase and write outside the flash (>= 0x08100000, or in RAM) are refused', async () => {
    const { emu, device } = await dfuBoard()
    for (const address of [0x08100000, 0x20000000, 0x00000000]) {
      expect(await erase(device, address)).toEqual(refused)
      expect(await writeAt(device, address, pattern(16))).toEqual(refused)
    }
    expect(emu.flashLog).toEqual([])
  })

  it('the factory slot 0x080A0000 (sector 9) is writable like any address from 0x08020000 up', async () => {
    const { emu, device } = await dfuBoard()
    expect(await erase(device, SECTOR_9)).toEqual(ok)
    expect(await writeAt(device, SECTOR_9, pattern(4096))).toEqual(ok)
    expect(emu.readFlash(SECTOR_9, 4096)).toEqual(pattern(4096))
  })

  it('reads are allowed anywhere in flash; an out-of-range start reads as zeros', async () => {
    const { emu, device } = await dfuBoard()
    expect(await readAt(device, 0x08004000, 16)).toEqual([...emu.readFlash(0x08004000, 16)])
    expect(await readAt(device, 0x20000000, 16)).toEqual(new Array(16).fill(0))
  })
})

describe('DCT (alt 1) without writing', () => {
  it('erase is a no-op that succeeds for offsets below 0x4000 and is refused above', async () => {
    const { emu, device } = await dfuBoard()
    await device.selectAlternateInterface(0, 1)
    expect(await erase(device, 0x0000)).toEqual(ok)
    expect((await erase(device, 0x4000)).first).toBe('stall')
    expect(emu.flashLog).toEqual([])
  })

  it('reads return the DCT bytes (kept in sector 1, 0x08004000)', async () => {
    const { emu, device } = await dfuBoard()
    await device.selectAlternateInterface(0, 1)
    expect(await readAt(device, 34, 32)).toEqual([...emu.readFlash(0x08004000 + 34, 32)])
  })
})

describe('bwPollTimeout', () => {
  it('alt 0 always reports 0 ms', async () => {
    const { device } = await dfuBoard()
    const result = await erase(device, SECTOR_9)
    expect(result.first).toEqual([0, 0, 0, 0, STATE.dfuDNBUSY, 0])
  })

  it('alt 1 reports 1 ms for SET_ADDRESS and writes, 500 ms for erase, judged by the pointer before the command', async () => {
    const { device } = await dfuBoard()
    await device.selectAlternateInterface(0, 1)
    // The pointer is still 0x08020000, invalid for the DCT: the value stays 0.
    expect((await setAddress(device, 0x10)).first).toEqual([0, 0, 0, 0, STATE.dfuDNBUSY, 0])
    expect((await setAddress(device, 0x20)).first).toEqual([0, 1, 0, 0, STATE.dfuDNBUSY, 0])
    expect((await erase(device, 0x20)).first).toEqual([0, 0xf4, 0x01, 0, STATE.dfuDNBUSY, 0])
  })
})
