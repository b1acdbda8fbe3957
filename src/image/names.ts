/**
 * The one rule for stored names, applied alike by build (refuses), parse
 * (an image breaking it is invalid, so push, inspect and extract refuse it)
 * and the printers (which escape what they show).
 */
/** Characters that break or spoof a terminal line: C0/C1 controls, DEL, bidirectional overrides. */
const UNPRINTABLE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu

/** Why a stored name breaks the rule, or undefined when it is fine (the length limit is checked apart, with its own code). */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'is empty'
  if (new RegExp(UNPRINTABLE.source, 'u').test(name)) return 'holds a control character'
  if (name.includes('\\')) return 'holds a backslash, which extract cannot write portably'
  if (name.startsWith('/')) return 'is an absolute path'
  if (name.split('/').some((part) => part === '' || part === '.' || part === '..'))
    return 'has an empty, "." or ".." part'
  return undefined
}

export interface NameClash {
  kind: 'file-and-folder' | 'unicode-twins'
  names: [string, string]
}

/**
 * Clashes between names of one image: a name that is also another's folder
 * ("a" and "a/b", which no folder can hold), and names that differ only in
 * Unicode normalisation (NFC/NFD, which some file systems treat as one).
 */
export function nameClashes(names: readonly string[]): NameClash[] {
  const clashes: NameClash[] = []
  const all = new Set(names)
  for (const name of names) {
    const parts = name.split('/')
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/')
      if (all.has(folder)) clashes.push({ kind: 'file-and-folder', names: [folder, name] })
    }
  }
  const byNfc = new Map<string, string>()
  for (const name of names) {
    const key = name.normalize('NFC')
    const earlier = byNfc.get(key)
    if (earlier !== undefined && earlier !== name) clashes.push({ kind: 'unicode-twins', names: [earlier, name] })
    else byNfc.set(key, name)
  }
  return clashes
}

export function clashMessage(clash: NameClash): string {
  const [a, b] = clash.names.map((n) => `"${printable(n)}"`)
  return clash.kind === 'file-and-folder'
    ? `${a} is both a file and the folder of ${b}; no folder can hold both.`
    : `${a} and ${b} differ only in Unicode normalisation (NFC/NFD); some file systems treat them as one name.`
}

/** Text safe to print on a terminal: unprintable characters as escapes (\n, \x1b, \u202e). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n'
    if (c === '\r') return '\\r'
    if (c === '\t') return '\\t'
    const code = c.codePointAt(0)!
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}
