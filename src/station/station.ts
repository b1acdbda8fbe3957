/**
 * The station as its page sees it: the state built from the jig's events, the
 * records for the downloads, and the controls. Publishing never waits for a
 * listener: each one gets the event synchronously and must not block.
 */
import type { JigRecord } from '../jobs/events.js'
import {
  applyEvent,
  initialState,
  type Control,
  type StationEvent,
  type StationJob,
  type StationState,
} from './state.js'

export type StationListener = (event: StationEvent) => void

export class Station {
  readonly state: StationState
  /** Every attempt's record, in order: what the log and the reports are made of. */
  readonly records: JigRecord[] = []
  private readonly listeners = new Set<StationListener>()

  /** `onControl` hears every change the page asks for (the host prints it; on stopping it stops the jig). */
  constructor(
    job: StationJob,
    private readonly onControl: (control: Control) => void,
  ) {
    this.state = initialState(job)
  }

  /** For the jig's `paused` option. */
  readonly paused = (): boolean => this.state.control === 'paused'

  publish(event: StationEvent): void {
    applyEvent(this.state, event)
    if (event.type === 'board-done') this.records.push(event.record)
    for (const listener of this.listeners) listener(event)
  }

  subscribe(listener: StationListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Pause: no new board; resume; stop: no new board, the ones in progress finish, then the jig ends (as Ctrl-C). */
  control(wanted: 'pause' | 'resume' | 'stop'): void {
    const now = this.state.control
    const next: Control | undefined =
      wanted === 'pause' && now === 'running'
        ? 'paused'
        : wanted === 'resume' && now === 'paused'
          ? 'running'
          : wanted === 'stop' && (now === 'running' || now === 'paused')
            ? 'stopping'
            : undefined
    if (!next) return
    this.publish({ type: 'control', control: next })
    this.onControl(next)
  }
}
