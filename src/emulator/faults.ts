/**
 * Fault injection for reliability tests: `emu.faults`. Every fault is
 * one-shot (it fires once, then is gone) and counts from the moment it is
 * armed. Several can be armed at once; `clear()` disarms all.
 *
 * - stallRequest({ request, occurrence? }): the n-th (default: next) DFU
 *   class request with that bRequest (e.g. 3 = GETSTATUS) is answered with a
 *   STALL and not processed; the DFU state is unchanged.
 * - neverAnswer({ request, occurrence? }): that request is never answered;
 *   the host's transfer times out. The board keeps working afterwards.
 * - failNextErase() / failNextWrite({ after? }): the next erase command /
 *   the (after+1)-th block write from now
 *   fails as a real flash failure shows: nothing is erased or programmed,
 *   and the GETSTATUS that runs it (#1) stalls.
 * - disconnectDuring(op, { after? }): the cable is pulled during the
 *   (after+1)-th erase / block write / block upload from now. An erase or
 *   write in progress is torn: its first half is done, the rest is not
 *   (logged with `interrupted: true`). The board stays unplugged until
 *   `emu.plugIn()` or `bus.attach(emu)`.
 * - corruptNextWrite({ address?, xor? }): a bad cell. After the next block
 *   write that covers `address` (default: the next write's first word) has
 *   passed its verify, that word is XORed with `xor` (default 0x00000001).
 * - vanishAfterDfuSwitch(): firmware mode only; the board resets for the DFU
 *   switch (14400 baud or request 50) and never re-enumerates until replugged.
 * - setDfuState(state): the bootloader is left in 'dfuERROR' (status 0x0E),
 *   'dfuDNLOAD-IDLE' or 'dfuUPLOAD-IDLE' by an interrupted session; applied
 *   now if the board is in DFU mode, else when the bootloader next starts.
 *   The constructor option `dfuState` does the same.
 */

export type FlashOperation = 'erase' | 'write' | 'upload'
export type LeftoverDfuState = 'dfuERROR' | 'dfuDNLOAD-IDLE' | 'dfuUPLOAD-IDLE'

export interface RequestFaultOptions {
  /** The DFU class request code (bRequest): 1 DNLOAD, 2 UPLOAD, 3 GETSTATUS, 4 CLRSTATUS, 5 GETSTATE, 6 ABORT. */
  request: number
  /** Which matching request fires it, counting from now; 1 (the next one) by default. */
  occurrence?: number
}

interface RequestFault {
  kind: 'stall' | 'never'
  request: number
  remaining: number
}

interface Corruption {
  address?: number
  xor: number
}

export class FaultInjector {
  #requests: RequestFault[] = []
  #failErase = false
  /** Block writes to let through before the failing one; undefined: none armed. */
  #failWrite: number | undefined
  #disconnects: { op: FlashOperation; remaining: number }[] = []
  #corruptions: Corruption[] = []
  #vanish = false
  #dfuState: LeftoverDfuState | undefined
  readonly #applyDfuState: (state: LeftoverDfuState) => boolean

  constructor(applyDfuState: (state: LeftoverDfuState) => boolean) {
    this.#applyDfuState = applyDfuState
  }

  stallRequest(options: RequestFaultOptions): void {
    this.#requests.push({ kind: 'stall', request: options.request, remaining: options.occurrence ?? 1 })
  }

  neverAnswer(options: RequestFaultOptions): void {
    this.#requests.push({ kind: 'never', request: options.request, remaining: options.occurrence ?? 1 })
  }

  failNextErase(): void {
    this.#failErase = true
  }

  failNextWrite(options: { after?: number } = {}): void {
    this.#failWrite = options.after ?? 0
  }

  disconnectDuring(op: FlashOperation, options: { after?: number } = {}): void {
    this.#disconnects.push({ op, remaining: options.after ?? 0 })
  }

  corruptNextWrite(options: { address?: number; xor?: number } = {}): void {
    this.#corruptions.push({ address: options.address, xor: options.xor ?? 1 })
  }

  vanishAfterDfuSwitch(): void {
    this.#vanish = true
  }

  setDfuState(state: LeftoverDfuState): void {
    this.#dfuState = this.#applyDfuState(state) ? undefined : state
  }

  clear(): void {
    this.#requests = []
    this.#failErase = this.#vanish = false
    this.#failWrite = undefined
    this.#disconnects = []
    this.#corruptions = []
    this.#dfuState = undefined
  }

  // The board's side: each take* consumes the fault it reports.

  takeRequestFault(request: number): 'stall' | 'never' | undefined {
    let fired: RequestFault | undefined
    for (const fault of this.#requests) {
      if (fault.request !== request) continue
      fault.remaining--
      if (fault.remaining === 0 && !fired) fired = fault
    }
    this.#requests = this.#requests.filter((f) => f.remaining > 0)
    return fired?.kind
  }

  takeFailErase(): boolean {
    const armed = this.#failErase
    this.#failErase = false
    return armed
  }

  takeFailWrite(): boolean {
    if (this.#failWrite === undefined) return false
    if (this.#failWrite-- > 0) return false
    this.#failWrite = undefined
    return true
  }

  /** Counts one operation of kind `op`; true if the cable is pulled during it. */
  takeDisconnect(op: FlashOperation): boolean {
    const index = this.#disconnects.findIndex((d) => d.op === op && d.remaining === 0)
    for (const d of this.#disconnects) if (d.op === op) d.remaining--
    if (index < 0) return false
    this.#disconnects.splice(index, 1)
    return true
  }

  /** The word address to corrupt in a write of [address, address+length), and how. */
  takeCorruption(address: number, length: number): { address: number; xor: number } | undefined {
    const index = this.#corruptions.findIndex(
      (c) => c.address === undefined || (c.address >= address && c.address < address + length),
    )
    if (index < 0) return undefined
    const [corruption] = this.#corruptions.splice(index, 1)
    return { address: (corruption.address ?? address) & ~3, xor: corruption.xor }
  }

  takeVanish(): boolean {
    const armed = this.#vanish
    this.#vanish = false
    return armed
  }

  takeDfuState(): LeftoverDfuState | undefined {
    const state = this.#dfuState
    this.#dfuState = undefined
    return state
  }
}
