// docs/architecture.md's table of allowed imports says what the rule is:
// test/layers/allowed.ts, which test/layers/imports.test.ts holds the code to.
import { describe, expect, it } from 'vitest'
import { ALLOWED } from '../layers/allowed.js'
import { readDoc, section } from './markdown.js'

/** The root modules of src/ (errors.ts, text.ts, timeouts.ts, index.ts): the table lists folders. */
const ROOT_MODULES = new Set(['errors', 'text', 'timeouts', 'index'])

describe('docs: the architecture', () => {
  it('the table of allowed imports lists the folders and edges of test/layers/allowed.ts', () => {
    const table = section(readDoc('docs/architecture.md'), 'Allowed imports') ?? ''
    const documented = Object.fromEntries(
      [...table.matchAll(/^\| `(\w+)` \| (.+) \|$/gm)].map(([, folder, cell]) => [
        folder,
        [...cell.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort(),
      ]),
    )
    const rule = Object.fromEntries(
      Object.entries(ALLOWED)
        .filter(([folder]) => !ROOT_MODULES.has(folder))
        .map(([folder, edges]) => [
          folder,
          Object.keys(edges)
            .filter((to) => !ROOT_MODULES.has(to))
            .sort(),
        ]),
    )
    expect(documented).toEqual(rule)
  })
})
