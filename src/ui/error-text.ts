/** Error text on both pages: what happened, then what to do next (each page words its own next step). */

/** A failure's message followed by its hint, as one sentence run. */
export function hintedText(message: string, hint: string): string {
  // Messages passed up from a USB stack may lack the full stop the hint's sentence needs.
  return `${/[.!?]$/.test(message) ? message : `${message}.`} ${hint}`
}
