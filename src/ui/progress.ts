/** The progress bar and its label: the phase, bytes and speed of a job. */
import type { JobEvent, Phase } from '../jobs/events.js'
import { bytes, formatBytes } from '../text.js'

export const PHASES: Record<Phase, string> = {
  connect: 'Connecting',
  'mode-switch': 'Switching to DFU mode',
  compare: 'Comparing',
  erase: 'Erasing sector 9',
  write: 'Writing',
  verify: 'Reading back',
  read: 'Reading',
  leave: 'Leaving DFU mode',
  reset: 'Resetting',
  'wait-app': 'Waiting for the firmware',
}

/** What a progress event says in words: "Writing: 4,096 of 8,192 bytes at 64.0 KiB/s", or "Reading: 4,096 bytes" without a total. */
function progressText(event: { phase: Phase; bytes: number; totalBytes?: number; elapsedMs: number }): string {
  const speed = event.elapsedMs > 0 ? ` at ${(event.bytes / 1.024 / event.elapsedMs).toFixed(1)} KiB/s` : ''
  const done =
    event.totalBytes === undefined ? bytes(event.bytes) : `${formatBytes(event.bytes)} of ${bytes(event.totalBytes)}`
  return `${PHASES[event.phase] ?? event.phase}: ${done}${speed}`
}

/**
 * A bar and its label for a phase under way: the bytes so far, or just the
 * phase before the first. Bytes without a known total leave the bar
 * indeterminate (no value), never full.
 */
export function setProgress(
  bar: HTMLProgressElement,
  label: HTMLElement,
  at: { phase: Phase; bytes?: number; totalBytes?: number; elapsedMs?: number },
): void {
  const moving = at.bytes !== undefined && at.bytes > 0
  if (moving && !at.totalBytes) bar.removeAttribute('value')
  else bar.value = moving && at.totalBytes ? at.bytes! / at.totalBytes : 0
  label.textContent = moving
    ? progressText({ phase: at.phase, bytes: at.bytes!, totalBytes: at.totalBytes, elapsedMs: at.elapsedMs ?? 0 })
    : `${PHASES[at.phase] ?? at.phase}…`
}

/** Moves a bar and its label along with a job's phase events; other events are left alone. */
export function showProgress(bar: HTMLProgressElement, label: HTMLElement, event: JobEvent): void {
  if (event.type === 'phase-start') setProgress(bar, label, { phase: event.phase })
  else if (event.type === 'progress') setProgress(bar, label, event)
  else if (event.type === 'phase-end') {
    bar.value = 1
  }
}
