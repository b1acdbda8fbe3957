// docs/architecture.md's table of allowed imports is the rule: every import in src/ from one
// folder into another must be in it, and the table names no folder that is not there.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from '../helpers/cli.js'
import { readDoc, section } from './markdown.js'

const SRC = join(REPO, 'src')

/** The folder of src/ a path is in (`station/page` counts as `station`); undefined for src/ itself. */
function folderOf(path: string): string | undefined {
  const parts = path.split('/')
  return parts.length > 1 ? parts[0] : undefined
}

function sources(dir = ''): string[] {
  return readdirSync(join(SRC, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

describe('docs: the architecture', () => {
  it('src/ imports only across the lines docs/architecture.md allows', () => {
    const table = section(readDoc('docs/architecture.md'), 'Allowed imports') ?? ''
    const allowed = new Map(
      [...table.matchAll(/^\| `(\w+)` \| (.+) \|$/gm)].map(([, folder, cell]) => [
        folder,
        new Set([...cell.matchAll(/`(\w+)`/g)].map((m) => m[1])),
      ]),
    )
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
    expect([...allowed.keys()].sort()).toEqual(folders.sort())
    const crossings: string[] = []
    for (const file of sources()) {
      const from = folderOf(file)
      if (!from) continue
      for (const [, target] of readFileSync(join(SRC, file), 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const to = folderOf(normalize(join(dirname(file), target)))
        if (to && to !== from && !allowed.get(from)?.has(to)) crossings.push(`${file} imports ${target}`)
      }
    }
    expect(crossings).toEqual([])
  })
})
