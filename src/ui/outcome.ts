/** A board's outcome in colour (the classes of ui.css) and in words, the same on both pages. */
import { element } from './dom.js'

export type Outcome = 'flashed' | 'unchanged' | 'failed' | 'aborted'

/** The outcome word on its colour: green for a board that holds its image, red for one that does not. */
export function outcomeBadge(outcome: Outcome): HTMLElement {
  return element('span', outcome, { class: `outcome ${outcome}` })
}
