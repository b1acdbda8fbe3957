/**
 * Minimal glob matching for --exclude: `*` and `?` stay within one path
 * part, `**` crosses parts. A pattern without '/' also matches any base name,
 * as .gitignore does.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*'
      i++
      if (pattern[i + 1] === '/') i++
    } else if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

export function makeExcluder(patterns: string[]): (relativePath: string) => string | undefined {
  const compiled = patterns.map((p) => ({ pattern: p, re: globToRegExp(p), baseOnly: !p.includes('/') }))
  return (relativePath) => {
    const base = relativePath.slice(relativePath.lastIndexOf('/') + 1)
    return compiled.find(({ re, baseOnly }) => re.test(relativePath) || (baseOnly && re.test(base)))?.pattern
  }
}
