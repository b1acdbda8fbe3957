/**
 * What of a generator's output a record may keep. A generator makes keys, and
 * its output may hold them (openssl printing a key to stdout, a script that
 * echoes what it wrote), while records go to the log, the reports, the
 * station page and --json. So by default a record keeps none of it, and a
 * failure's message only its last few lines: enough for the error that ended
 * it (a shell's "not found", openssl's two or three lines), without the PEM
 * blocks printed before it.
 */

/** Lines a failure's message keeps, and the characters kept of each. */
const FAILURE_LINES = 3
const LINE_CHARS = 200

const PEM = /-----BEGIN [^-\n]*-----[\s\S]*?(?:-----END [^-\n]*-----|$)/g

/** The last FAILURE_LINES lines of the output, each cut to LINE_CHARS, with every PEM block (whole or cut) left out. */
export function failureLines(output: string): string[] {
  // A block whose BEGIN fell before the part of the output kept ends at an END with no BEGIN before it.
  const end = output.search(/-----END [^-\n]*-----/)
  const begin = output.search(/-----BEGIN /)
  const whole = end >= 0 && (begin < 0 || end < begin) ? `-----BEGIN -----${output}` : output
  return whole
    .replace(PEM, '[PEM block left out]')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean)
    .slice(-FAILURE_LINES)
    .map((line) => (line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}…` : line))
}
