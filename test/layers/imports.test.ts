import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { REPO } from '../helpers/cli.js'

/**
 * The imports allowed between the parts of src/: its folders (src/cli,
 * src/dfu, ...; subfolders belong to theirs) and the root modules errors,
 * error-hints and index. Every import counts, `import type` and `import('...')`
 * types included: a type is as much a dependency of the design as a value,
 * and Biome's noImportCycles is set to count them too (biome.json).
 */
const ALLOWED: Record<string, Record<string, string>> = {
  errors: { 'error-hints': "each code's default hint" },
  'error-hints': {},
  usb: { errors: 'the error type a transfer may fail with' },
  image: { errors: 'refusals of bad input and images' },
  dfu: { usb: 'the device interface it drives', errors: 'typed failures' },
  emulator: { usb: 'the device interface it implements', errors: 'typed failures of flash files' },
  files: { image: 'packs folders into images', errors: 'typed failures' },
  device: {
    usb: 'finds and opens boards on the bus',
    dfu: 'USB error mapping for control transfers',
    emulator: 'the emulated boards behind --emulator',
    errors: 'typed failures',
  },
  jobs: {
    device: 'boards: selecting, waiting, mode switching',
    dfu: 'the DfuSe session a job runs',
    image: 'images to write and compare',
    usb: 'bus events',
    errors: 'typed failures',
  },
  provision: {
    device: 'serials and waiting',
    files: 'per-board folders and backups',
    image: 'per-board images',
    jobs: "the jig's plans, records and foreign data",
    errors: 'typed failures',
  },
  station: {
    jobs: "the jig's events and records it shows",
    provision: 'the reports it serves',
    ui: "the page's shared widgets",
    errors: 'typed failures',
  },
  ui: { jobs: 'phases and events shown as progress', errors: 'error text for the pages' },
  web: {
    device: 'board identification and mode switching over WebUSB',
    emulator: 'the emulated board of the demo',
    image: 'packing and parsing in the browser',
    jobs: 'push, verify and pull',
    ui: 'shared widgets',
    usb: 'the device interface WebUSB provides',
    errors: 'typed failures',
  },
  cli: {
    device: 'boards, the bus, udev and doctor facts',
    files: 'folders and outputs on disk',
    image: 'image formats and names',
    jobs: 'the jobs the commands run',
    provision: 'job files, pools, ledgers',
    station: 'the station server of jig --ui',
    usb: 'bus types',
    errors: 'typed failures and exit codes',
  },
  index: {
    device: 'the public API',
    dfu: 'the public API',
    emulator: 'the public API',
    errors: 'the public API',
    files: 'the public API',
    image: 'the public API',
    jobs: 'the public API',
    usb: 'the public API',
  },
}

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
