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

export function useColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
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
 * Text (help, a long message) wrapped to `width` columns at spaces, each
 * continuation indented like its line; a word longer than a line is cut
 * with an ellipsis, never broken across lines.
 */
export function wrap(text: string, width: number | undefined): string {
  if (width === undefined || width <= 0) return text
  return text.split('\n').map((line) => {
    if ([...line].length <= width) return line
    const indent = /^ */.exec(line)![0]
    const hang = indent + (/^ *\$ /.test(line) ? '    ' : '')
    const out: string[] = []
    let current = ''
    for (const word of line.slice(indent.length).split(/ +/)) {
      const lead = out.length === 0 ? indent : hang
      const candidate = current ? `${current} ${word}` : `${lead}${word}`
      if ([...candidate].length <= width) current = candidate
      else {
        if (current) out.push(current)
        current = fit(`${hang}${word}`, width)
      }
    }
    if (current) out.push(current)
    return out.join('\n')
  }).join('\n')
}
