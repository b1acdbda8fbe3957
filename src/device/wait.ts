import { BUS_POLL_MS } from '../timeouts.js'
import type { UsbBusLike } from '../usb/types.js'
import { describeBoards, surveyBoards, type Board, type RefusedBoard } from './board.js'

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

/** The boards on the bus that can be used; a board refused for its serial is left out. */
export async function listBoards(bus: UsbBusLike): Promise<Board[]> {
  return describeBoards(await bus.getDevices())
}

/** The boards on the bus, and those refused for their serial (listed by devices, failed by the jig). */
export async function surveyBus(bus: UsbBusLike): Promise<{ boards: Board[]; refused: RefusedBoard[] }> {
  return surveyBoards(await bus.getDevices())
}

/** The boards that `match`, asked one at a time (a match may talk to the board). */
export async function filterBoards(
  boards: Board[],
  match: (board: Board) => boolean | Promise<boolean>,
): Promise<Board[]> {
  const found: Board[] = []
  for (const board of boards) if (await match(board)) found.push(board)
  return found
}

/**
 * Waits until a board matching `match` is on the bus: wakes on the bus's
 * connect events and also polls, since not every stack reports hot-plug.
 * Resolves undefined when the time is up or the signal aborts.
 */
export async function waitForBoard(
  bus: UsbBusLike,
  match: (board: Board) => boolean | Promise<boolean>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Board | undefined> {
  const deadline = Date.now() + timeoutMs
  // Each pause ends at a connect event, at the signal or after BUS_POLL_MS; no timer outlives the wait.
  let pause: AbortController | undefined
  const wake = () => pause?.abort()
  bus.addEventListener('connect', wake)
  signal?.addEventListener('abort', wake)
  try {
    for (;;) {
      let found: Board | undefined
      for (const board of await listBoards(bus)) if (!found && (await match(board))) found = board
      if (found || signal?.aborted) return found
      const left = deadline - Date.now()
      if (left <= 0) return undefined
      pause = new AbortController()
      await sleep(Math.min(BUS_POLL_MS, left), pause.signal)
    }
  } finally {
    bus.removeEventListener('connect', wake)
    signal?.removeEventListener('abort', wake)
  }
}
