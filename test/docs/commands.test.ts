// docs/commands.md and --help list the same commands and options: the built CLI's help for every
// command is compared with the command's section of the reference.
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { firstCells, readDoc, section, slug } from './markdown.js'

const REFERENCE = 'docs/commands.md'

/** The entries of a help section ("Options:", "Commands:"): the first column of each line indented by two. */
function helpEntries(help: string, heading: string): string[] {
  const block = help.split(`\n${heading}\n`)[1]?.split(/\n\n|\n[A-Z]\w*:\n/)[0] ?? ''
  return block
    .split('\n')
    .filter((line) => /^ {2}\S/.test(line))
    .map((line) => line.trim().split(/ {2,}/)[0])
}

/** The flags of an option entry, as written: `-s, --serial <serial>` gives `-s --serial`. */
function flags(entry: string): string {
  return [...entry.replace(/`/g, '').matchAll(/(?:^|[ ,])(--?[\w-]+)/g)].map((m) => m[1]).join(' ')
}

/** The options a command's section of the reference lists: its own rows, and the rows of the groups it links to. */
function documentedOptions(reference: string, title: string): string[] {
  const text = section(reference, title)
  if (text === undefined) throw new Error(`${REFERENCE} has no section "${title}"`)
  return firstCells(text).flatMap((cell) => {
    const group = /^\[[^\]]+\]\(#([\w-]+)\)$/.exec(cell)?.[1]
    if (!group) return [flags(cell)]
    const heading = reference.split('\n').find((line) => /^#+ /.test(line) && slug(line.replace(/^#+ /, '')) === group)
    if (!heading) throw new Error(`${REFERENCE}: "${title}" links to #${group}, which no heading gives`)
    return firstCells(section(reference, heading.replace(/^#+ /, '')) ?? '').map(flags)
  })
}

const HELP = ['-h --help']

describe('docs: the command reference and --help agree', () => {
  it('documents every command --help lists, and no other', async () => {
    const reference = readDoc(REFERENCE)
    const top = await runCli(['--help'])
    const commands = helpEntries(top.text, 'Commands:')
      .map((entry) => entry.split(' ')[0].split('|')[0])
      .filter((name) => name !== 'help')
    expect(commands.length).toBeGreaterThan(10)
    const documented = [...reference.matchAll(/^## (\S+)$/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual(commands.sort())
    expect(documentedOptions(reference, 'Global options').sort()).toEqual(
      helpEntries(top.text, 'Options:').map(flags).sort(),
    )
  })

  it('lists, for every command, exactly the options its --help lists', async () => {
    const reference = readDoc(REFERENCE)
    const top = await runCli(['--help'])
    const commands = helpEntries(top.text, 'Commands:')
      .map((entry) => entry.split(' ')[0].split('|')[0])
      .filter((name) => name !== 'help')
    const problems: string[] = []
    for (const command of commands) {
      const help = await runCli([command, '--help'])
      expect(help.code, command).toBe(0)
      const options = helpEntries(help.text, 'Options:')
        .map(flags)
        .filter((f) => !HELP.includes(f))
      const documented = documentedOptions(reference, command)
      for (const o of options)
        if (!documented.includes(o)) problems.push(`${command} ${o}: in --help, not in ${REFERENCE}`)
      for (const o of documented)
        if (!options.includes(o)) problems.push(`${command} ${o}: in ${REFERENCE}, not in --help`)
    }
    expect(problems).toEqual([])
  })
})
