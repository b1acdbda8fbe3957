import type { UsbBusLike } from '../usb/types.js'
import { describeBoards, type Board } from './board.js'

export const POLL_MS = 200

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

export async function listBoards(bus: UsbBusLike): Promise<Board[]> {
  return describeBoards(await bus.getDevices())
}

/**
 * Waits until a board matching `match` is on the bus: wakes on the bus's
 * connect events and also polls, since not every stack reports hot-plug.
 * Resolves undefined when the time is up or the signal aborts.
 */
export async function waitForBoard(
  bus: UsbBusLike,
  match: (board: Board) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Board | undefined> {
  const deadline = Date.now() + timeoutMs
  // Each pause ends at a connect event, at the signal or after POLL_MS; no timer outlives the wait.
  let pause: AbortController | undefined
  const wake = () => pause?.abort()
  bus.addEventListener('connect', wake)
  signal?.addEventListener('abort', wake)
  try {
    for (;;) {
      const found = (await listBoards(bus)).find(match)
      if (found || signal?.aborted) return found
      const left = deadline - Date.now()
      if (left <= 0) return undefined
      pause = new AbortController()
      await sleep(Math.min(POLL_MS, left), pause.signal)
    }
  } finally {
    bus.removeEventListener('connect', wake)
    signal?.removeEventListener('abort', wake)
  }
}
