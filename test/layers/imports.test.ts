// Every import in src/ from one part into another is along an edge of ALLOWED (allowed.ts).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { REPO } from '../helpers/cli.js'
import { ALLOWED } from './allowed.js'

const SRC = join(REPO, 'src')

/** The part of src/ a path is in: its first folder, or a root module's name. */
function partOf(path: string): string {
  const [first, ...rest] = relative(SRC, path).split('/')
  return rest.length ? first : first.replace(/\.(ts|js)$/, '')
}

interface Import {
  file: string
  specifier: string
  from: string
  to: string
}

/** Every import of every .ts file under src/ that reaches another part of it. */
function crossingImports(): Import[] {
  const found: Import[] = []
  for (const name of readdirSync(SRC, { recursive: true, encoding: 'utf8' })) {
    if (!name.endsWith('.ts')) continue
    const file = join(SRC, name)
    // Static, `export from`, dynamic import() and import('...') types alike; comments and strings are skipped.
    for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const target = resolve(dirname(file), specifier)
      // Packages, built-ins and files outside src/ (package.json) are no part's.
      if (!specifier.startsWith('.') || relative(SRC, target).startsWith('..')) continue
      const from = partOf(file)
      const to = partOf(target)
      if (from !== to) found.push({ file: relative(SRC, file), specifier, from, to })
    }
  }
  return found
}

describe('imports between the parts of src/', () => {
  const imports = crossingImports()

  it('every part of src/ is in the table', () => {
    const parts = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() || entry.name.endsWith('.ts'))
      .map((entry) => partOf(join(SRC, entry.name)))
    expect(parts.filter((part) => !(part in ALLOWED))).toEqual([])
  })

  it('the allowed edges point down: no cycle between parts', () => {
    const cycles: string[] = []
    const visit = (part: string, path: string[]): void => {
      if (path.includes(part)) {
        cycles.push([...path.slice(path.indexOf(part)), part].join(' -> '))
        return
      }
      for (const to of Object.keys(ALLOWED[part] ?? {})) visit(to, [...path, part])
    }
    for (const part of Object.keys(ALLOWED)) visit(part, [])
    expect(cycles).toEqual([])
  })

  it('imports only along the allowed edges', () => {
    const refused = imports
      .filter(({ from, to }) => ALLOWED[from]?.[to] === undefined)
      .map(({ file, specifier, from, to }) => `src/${file} imports '${specifier}': ${from} -> ${to} is not allowed`)
    expect(refused, 'add the edge to ALLOWED with its reason, or import from a lower part').toEqual([])
  })

  it('every allowed edge is still used', () => {
    const used = new Set(imports.map(({ from, to }) => `${from} -> ${to}`))
    const unused = Object.entries(ALLOWED).flatMap(([from, tos]) =>
      Object.keys(tos)
        .map((to) => `${from} -> ${to}`)
        .filter((edge) => !used.has(edge)),
    )
    expect(unused, 'remove it from ALLOWED').toEqual([])
  })
})
