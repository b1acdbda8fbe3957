/**
 * Colours and marks for terminal screens. Colour only on a terminal, and
 * never with NO_COLOR set to anything but "" (https://no-color.org/);
 * FORCE_COLOR=0 turns it off too, FORCE_COLOR=1 on.
 */
export interface Style {
  color: boolean
  green(text: string): string
  red(text: string): string
  dim(text: string): string
  /** ✔ ✖ ℹ, coloured when colour is on. */
  tick: string
  cross: string
  info: string
}

function useColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '')
    return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return stream.isTTY === true && env.TERM !== 'dumb'
}

export function styleFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Style {
  const color = useColor(stream, env)
  const paint = (code: number) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[39m` : text)
  const green = paint(32)
  const red = paint(31)
  const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[22m` : text)
  return { color, green, red, dim, tick: green('✔'), cross: red('✖'), info: paint(34)('ℹ') }
}

/** One screen line: cut to `width` columns with an ellipsis, so a terminal never wraps it. */
export function fit(text: string, width: number | undefined): string {
  const chars = [...text]
  if (width === undefined || width <= 0 || chars.length <= width) return text
  return `${chars.slice(0, Math.max(0, width - 1)).join('')}…`
}

/**
 * Text (help, a long message) wrapped to `width` columns at spaces, never
 * mid-word. A line of two columns ("  term    description") too long for
 * the width puts the description on lines of its own below the term,
 * indented four more; a word longer than a line is cut with an ellipsis.
 * Commander wraps its own columns only from 40 columns up, and mid-word.
 */
export function wrap(text: string, width: number | undefined): string {
  if (width === undefined || width <= 0) return text
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width - 1))
    .join('\n')
}

const length = (text: string) => [...text].length

function wrapLine(line: string, width: number): string[] {
  if (length(line) <= width) return [line]
  const indent = /^ */.exec(line)![0]
  const columns = /^( *\S.*?\S) {2,}(\S.*)$/.exec(line)
  if (columns) return [...wrapLine(columns[1], width), ...wrapLine(`${indent}    ${columns[2]}`, width)]
  // A command line ("$ flashdata ...") continues indented, so it reads as one.
  const hang = /^ *\$ /.test(line) ? `${indent}    ` : indent
  const lines: string[] = []
  let current = ''
  for (const word of line.slice(indent.length).split(' ')) {
    const candidate = current ? `${current} ${word}` : `${lines.length ? hang : indent}${word}`
    if (length(candidate) <= width) current = candidate
    else {
      if (current) lines.push(current)
      current = fit(`${lines.length ? hang : indent}${word}`, width)
    }
  }
  if (current) lines.push(current)
  return lines
}
