/**
 * Every delay the emulated Electron models, in one place.
 *
 * The model (docs/electron-bootloader.md#timing):
 * - Flash: an STM32F205 sector erase takes 250 ms (16 KiB), 550 ms (64 KiB)
 *   or 1000 ms (128 KiB), the typical datasheet values at x32 parallelism;
 *   programming takes 16 us per 32-bit word. A failed verify costs three
 *   program passes (the bootloader's write+verify retries). A DCT write
 *   rewrites a 16 KiB sector: one 16K erase plus 4096 words.
 * - USB full speed, endpoint 0: each control transfer costs a fixed 1 ms
 *   (setup and status stages wait for the host controller's next 1 ms frame,
 *   as synchronous libusb/usbfs transfers do), plus 64 us per 64-byte data
 *   packet (about 1 MB/s effective on EP0). A 4096-byte DNLOAD is ~5.1 ms.
 *   A USB gadget bridge on a real bus sets both to 0: the wire takes the time.
 * - Resets: the bootloader resets 500 ms after the leave GETSTATUS; the
 *   firmware resets 1000 ms after a reset, DFU-mode or safe-mode control
 *   request (40, 50, 60) completes and at once on 14400 baud or the raw
 *   reset request. A reset board is gone from the bus
 *   for `reEnumerationMs` (300 ms) before its new device appears.
 * - DETACH busy-waits wValue ms times `detachMsPerUnit` (1) inside the ISR.
 *
 * 'instant' (the default, for tests) sets every delay to 0: replies resolve
 * in microtasks and resets still happen in the same order (disconnect of the
 * old device, then, on a later timer tick, connect of a new one).
 */

export interface EmulatorTiming {
  erase16kMs: number
  erase64kMs: number
  erase128kMs: number
  wordProgramUs: number
  usbTransferOverheadUs: number
  usbPacketUs: number
  leaveResetMs: number
  controlResetMs: number
  lineCodingSwitchMs: number
  reEnumerationMs: number
  detachMsPerUnit: number
}

export type EmulatorTimingName = 'instant' | 'datasheet'
export type TimingOption = EmulatorTimingName | EmulatorTiming

export const DATASHEET_TIMING: Readonly<EmulatorTiming> = Object.freeze({
  erase16kMs: 250,
  erase64kMs: 550,
  erase128kMs: 1000,
  wordProgramUs: 16,
  usbTransferOverheadUs: 1000,
  usbPacketUs: 64,
  leaveResetMs: 500,
  controlResetMs: 1000,
  lineCodingSwitchMs: 0,
  reEnumerationMs: 300,
  detachMsPerUnit: 1,
})

export const INSTANT_TIMING: Readonly<EmulatorTiming> = Object.freeze({
  erase16kMs: 0,
  erase64kMs: 0,
  erase128kMs: 0,
  wordProgramUs: 0,
  usbTransferOverheadUs: 0,
  usbPacketUs: 0,
  leaveResetMs: 0,
  controlResetMs: 0,
  lineCodingSwitchMs: 0,
  reEnumerationMs: 0,
  detachMsPerUnit: 0,
})

export function resolveTiming(option: TimingOption = 'instant'): EmulatorTiming {
  if (option === 'instant') return { ...INSTANT_TIMING }
  if (option === 'datasheet') return { ...DATASHEET_TIMING }
  return { ...option }
}

const EP0_PACKET_SIZE = 64

/** Modelled wire time of one control transfer carrying `dataBytes` in its data stage. */
export function usbTransferMs(timing: EmulatorTiming, dataBytes: number): number {
  const packets = Math.ceil(dataBytes / EP0_PACKET_SIZE)
  return (timing.usbTransferOverheadUs + packets * timing.usbPacketUs) / 1000
}

export function sectorEraseMs(timing: EmulatorTiming, sectorSize: number): number {
  if (sectorSize <= 16 * 1024) return timing.erase16kMs
  if (sectorSize <= 64 * 1024) return timing.erase64kMs
  return timing.erase128kMs
}

export function programMs(timing: EmulatorTiming, byteLength: number): number {
  return (Math.ceil(byteLength / 4) * timing.wordProgramUs) / 1000
}

/**
 * The shortest real wait: browsers run a timer nested more than five deep no
 * sooner than 4 ms (the HTML standard's timer initialisation steps,
 * https://html.spec.whatwg.org/multipage/timers-and-user-prompts.html#timers),
 * which made each 1 ms transfer cost 4 ms in the page. Node's 1 ms timers
 * lose nothing by the same sum.
 */
const MIN_WAIT_MS = 4

/**
 * Turns modelled durations into real waits. Short costs are summed until they
 * amount to a timer's worth (MIN_WAIT_MS), so a long run of 16 us words or
 * 1 ms transfers keeps its total without a timer per call.
 */
export class ModelClock {
  #due = 0
  /** How late the last timer fired: given back once, so timer slack does not add up over a run. */
  #lateBy = 0

  async advance(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (ms <= 0) return
    const now = performance.now()
    this.#due = Math.max(this.#due, now - this.#lateBy) + ms
    this.#lateBy = 0
    const wait = this.#due - now
    if (wait < MIN_WAIT_MS) return
    await sleep(wait, signal)
    this.#lateBy = Math.max(0, performance.now() - this.#due)
  }
}

/** An abortable wait on the host's timers (Node or a browser), rejecting with the signal's reason. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
