// docs/electron-bootloader.md#timing: the timing model (datasheet figures) and how flash work blocks
// the USB transfer that runs it.
import { describe, expect, it } from 'vitest'
import { DATASHEET_TIMING, INSTANT_TIMING, type EmulatorTiming } from '../../src/emulator/index.js'
import { programMs, sectorEraseMs, usbTransferMs } from '../../src/emulator/timing.js'
import { DNLOAD, GETSTATUS, STATE, classOut, command, dfuBoard, getStatus, SECTOR_9 } from './helpers.js'

const only = (changes: Partial<EmulatorTiming>): EmulatorTiming => ({ ...INSTANT_TIMING, ...changes })

describe('timing model', () => {
  it('datasheet: sector erase 250 / 550 / 1000 ms for 16K / 64K / 128K, 16 us per programmed word', () => {
    expect([16, 64, 128].map((k) => sectorEraseMs(DATASHEET_TIMING, k * 1024))).toEqual([250, 550, 1000])
    expect(programMs(DATASHEET_TIMING, 4096)).toBeCloseTo(16.384)
    expect(programMs(DATASHEET_TIMING, 5)).toBeCloseTo(0.032) // two words after padding
  })

  it('datasheet: a control transfer costs 1 ms plus 64 us per 64-byte packet on EP0', () => {
    expect(usbTransferMs(DATASHEET_TIMING, 0)).toBe(1)
    expect(usbTransferMs(DATASHEET_TIMING, 6)).toBeCloseTo(1.064)
    expect(usbTransferMs(DATASHEET_TIMING, 4096)).toBeCloseTo(1 + 64 * 0.064)
  })

  it('datasheet: leave resets 500 ms after its GETSTATUS, the DFU request 1000 ms after CHECK, 14400 baud at once; 300 ms off the bus', () => {
    const { leaveResetMs, controlResetMs, lineCodingSwitchMs, reEnumerationMs } = DATASHEET_TIMING
    expect({ leaveResetMs, controlResetMs, lineCodingSwitchMs, reEnumerationMs }).toEqual({
      leaveResetMs: 500,
      controlResetMs: 1000,
      lineCodingSwitchMs: 0,
      reEnumerationMs: 300,
    })
  })

  it('instant: every delay is zero', () => {
    expect(Object.values(INSTANT_TIMING).every((value) => value === 0)).toBe(true)
  })
})

describe('flash work blocks the GETSTATUS that runs it', () => {
  it('an erase longer than the host timeout makes GETSTATUS #1 time out; the next GETSTATUS waits for the erase and reports dfuDNLOAD-IDLE', async () => {
    const { emu, device } = await dfuBoard({ timing: only({ erase128kMs: 150 }) })
    await classOut(device, DNLOAD, 0, command(0x41, SECTOR_9))
    const statusSetup = {
      requestType: 'class',
      recipient: 'interface',
      request: GETSTATUS,
      value: 0,
      index: 0,
    } as const
    await expect(device.controlTransferIn(statusSetup, 6, 30)).rejects.toThrow('timed out')
    expect(emu.flashLog).toEqual([])
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuDNLOAD_IDLE, 0])
    expect(emu.flashLog).toEqual([{ op: 'erase', address: SECTOR_9, length: 0x20000 }])
  })

  it('DETACH busy-waits wValue ms inside the interrupt handler, so a short host timeout expires', async () => {
    const { emu, device } = await dfuBoard({ timing: only({ detachMsPerUnit: 1 }) })
    await expect(
      device.controlTransferOut(
        { requestType: 'class', recipient: 'interface', request: 0, value: 200, index: 0 },
        undefined,
        30,
      ),
    ).rejects.toThrow('timed out')
    expect(emu.mode).toBe('dfu')
    expect(await getStatus(device)).toEqual([0, 0, 0, 0, STATE.dfuIDLE, 0])
  })
})
