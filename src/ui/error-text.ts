/** Error text on both pages: what happened, then what to do next. */
import { FlashdataError } from '../errors.js'

/** A failure's message followed by its hint, as one sentence run. */
export function hintedText(error: { message: string; hint?: string }): string {
  // Messages passed up from a USB stack may lack the full stop the hint's sentence needs.
  const message = error.hint && !/[.!?]$/.test(error.message) ? `${error.message}.` : error.message
  return `${message}${error.hint ? ` ${error.hint}` : ''}`
}

/** Any thrown value, prefixed by the step that failed; an error of ours brings its own hint. */
export function errorText(what: string | undefined, error: unknown): string {
  if (error instanceof FlashdataError) return `${what ? `${what} failed: ` : ''}${hintedText(error)}`
  return `${what} failed: ${(error as Error)?.message ?? String(error)}. Reload the page and try again; if it persists, report it with this message.`
}
