import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from '../helpers/cli.js'

/** The Markdown files the project publishes: the root documents and docs/. */
export function documents(): string[] {
  const root = ['README.md', 'CHANGELOG.md', 'CONTRIBUTING.md', 'SECURITY.md', 'firmware/README.md']
  const docs = readdirSync(join(REPO, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`)
  return [...root, ...docs]
}

export function readDoc(path: string): string {
  return readFileSync(join(REPO, path), 'utf8')
}

/** The text outside fenced code blocks, line for line (fenced lines become empty). */
export function prose(markdown: string): string {
  let fenced = false
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced
        return ''
      }
      return fenced ? '' : line
    })
    .join('\n')
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor a document's headings give, numbered as GitHub numbers repeats (-1, -2). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const match of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = slug(match[1])
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.add(count === 0 ? base : `${base}-${count}`)
  }
  return result
}

/** The text under the heading `## title` (any level), up to the next heading of that level or higher. */
export function section(markdown: string, title: string): string | undefined {
  const lines = markdown.split('\n')
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ +/, '') === title)
  if (start < 0) return undefined
  const level = lines[start].indexOf(' ')
  const end = lines.findIndex((line, i) => i > start && /^#{1,6} /.test(line) && line.indexOf(' ') <= level)
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n')
}

/** The first cell of every body row of every table in `text` (header rows and rules left out). */
export function firstCells(text: string): string[] {
  const lines = text.split('\n')
  const rule = (line = '') => /^\|[-:| ]+\|$/.test(line)
  return lines
    .filter((line, i) => line.startsWith('|') && !rule(line) && !rule(lines[i + 1]))
    .map((row) => row.split(/(?<!\\)\|/)[1].trim())
}
