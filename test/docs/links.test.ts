// The docs stay true: every relative link and anchor in the published Markdown resolves, and every
// comment in the tree that cites a document cites a file and a section that exist.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO } from '../helpers/cli.js'
import { anchors, documents, prose, readDoc } from './markdown.js'

/** Where `target` (a path relative to the document, then #anchor) fails to resolve, or undefined. */
function broken(document: string, target: string): string | undefined {
  const [path, anchor] = target.split('#')
  const file = path === '' ? join(REPO, document) : join(REPO, dirname(document), decodeURI(path))
  if (!existsSync(file)) return `${target}: no such file`
  if (anchor === undefined) return undefined
  if (!file.endsWith('.md') || statSync(file).isDirectory())
    return `${target}: an anchor into a file that is not Markdown`
  if (!anchors(readFileSync(file, 'utf8')).has(anchor)) return `${target}: no heading gives #${anchor}`
  return undefined
}

/** The relative link targets of a Markdown document, outside code. */
function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '')
  return [...text.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/.test(target))
}

const SOURCE_FOLDERS = ['src', 'scripts', 'test', 'test-usb', 'firmware', 'bin', '.ci']
const TEXT = new Set(['.ts', '.js', '.mjs', '.cjs', '.sh', '.h', '.cpp', '.c', '.properties', ''])

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path)
    return entry.isFile() && TEXT.has(extname(entry.name)) ? [path] : []
  })
}

describe('docs: links and citations', () => {
  it('every relative link and anchor in README.md, the root documents and docs/ resolves', () => {
    const problems = documents().flatMap((document) =>
      links(readDoc(document)).flatMap((target) => {
        const problem = broken(document, target)
        return problem ? [`${document}: ${problem}`] : []
      }),
    )
    expect(problems).toEqual([])
  })

  it('README.md stays a page a newcomer reads in five minutes: under 150 lines, the demo and the tests first', () => {
    const readme = readDoc('README.md')
    expect(readme.split('\n').length).toBeLessThan(150)
    const firstBlock = readme.split('```sh\n')[1]?.split('```')[0] ?? ''
    expect(firstBlock).toMatch(/^npm install && npm run demo\b/)
    expect(firstBlock).toMatch(/\nnpm test\b/)
  })

  it('every document a comment in the tree cites exists, with the section it names', () => {
    const files = SOURCE_FOLDERS.filter((dir) => existsSync(join(REPO, dir))).flatMap(sourceFiles)
    expect(files.length).toBeGreaterThan(100)
    const problems: string[] = []
    let citations = 0
    for (const file of files) {
      const text = readFileSync(join(REPO, file), 'utf8')
      // A numbered section (a section sign) must name the public document it is in, by its address on the same line.
      for (const line of text.split('\n'))
        if (line.includes('\u00a7') && !line.includes('://'))
          problems.push(`${file}: cites a numbered section of no named document: ${line.trim()}`)
      for (const [, path, anchor] of text.matchAll(/\b(docs\/[\w.-]+\.md)(#[\w-]+)?/g)) {
        citations++
        const problem = broken('README.md', `${path}${anchor ?? ''}`)
        if (problem) problems.push(`${relative(REPO, join(REPO, file))}: ${problem}`)
      }
    }
    expect(problems).toEqual([])
    expect(citations).toBeGreaterThan(10)
  })
})
