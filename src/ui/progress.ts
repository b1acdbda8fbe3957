/** The progress bar and its label: the phase, bytes and speed of a job. */
import type { JobEvent, Phase } from '../jobs/events.js'
import { number } from './dom.js'

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

/** What a progress event says in words: "Writing: 4,096 of 8,192 bytes at 64.0 KiB/s". */
function progressText(event: { phase: Phase; bytes: number; totalBytes: number; elapsedMs: number }): string {
  const speed = event.elapsedMs > 0 ? ` at ${(event.bytes / 1.024 / event.elapsedMs).toFixed(1)} KiB/s` : ''
  return `${PHASES[event.phase] ?? event.phase}: ${number(event.bytes)} of ${number(event.totalBytes)} bytes${speed}`
}

/** A bar and its label for a phase under way: the bytes so far, or just the phase before the first. */
export function setProgress(
  bar: HTMLProgressElement,
  label: HTMLElement,
  at: { phase: Phase; bytes?: number; totalBytes?: number; elapsedMs?: number },
): void {
  bar.value = at.totalBytes && at.bytes ? at.bytes / at.totalBytes : 0
  label.textContent =
    at.totalBytes && at.bytes !== undefined && at.bytes > 0
      ? progressText({ phase: at.phase, bytes: at.bytes, totalBytes: at.totalBytes, elapsedMs: at.elapsedMs ?? 0 })
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
