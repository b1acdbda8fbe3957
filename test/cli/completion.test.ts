import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src/cli/main.js'
import { runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const has = (shell: string) => spawnSync(shell, ['-c', 'true']).status === 0
const scripts: Record<string, string> = {}

beforeAll(async () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const out = await runCli(['completion', shell])
    expect(out.code, out.stderr).toBe(0)
    scripts[shell] = out.text
  }
})

/** What bash's completion offers for the words typed so far (the last one being completed). */
function bashComplete(script: string, words: string[], cwd = process.cwd()): string[] {
  const file = join(cwd, '.completion.bash')
  writeFileSync(file, script)
  const quoted = words.map((w) => `'${w}'`).join(' ')
  const out = spawnSync(
    'bash',
    [
      '-c',
      `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _flashdata; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { cwd, encoding: 'utf8' },
  )
  expect(out.status, out.stderr).toBe(0)
  return out.stdout.split('\n').filter(Boolean)
}

/** The flags a command's --help lists. */
async function helpFlags(command: string): Promise<string[]> {
  const help = (await runCli([command, '--help'])).text.split('Options:')[1]
  return [...help.matchAll(/^ {2}(-\w)?,? ?(--[\w-]+)?/gm)]
    .flatMap((m) => [m[1], m[2]])
    .filter((f): f is string => Boolean(f))
}

describe('flashdata completion', () => {
  it('refuses a shell it has no script for (usage error, exit 2)', async () => {
    const out = await runCli(['completion', 'ksh'])
    expect(out.code).toBe(2)
    expect(out.stderr).toContain('Allowed choices are bash, zsh, fish')
  })

  it.runIf(has('bash'))(
    'bash: completes every command, and every option each --help lists, from the script',
    async () => {
      const dir = await tempDir()
      expect(bashComplete(scripts.bash, ['flashdata', ''], dir).sort()).toEqual(
        [...Object.keys(COMMANDS), '-V', '--version', '-h', '--help'].sort(),
      )
      expect(bashComplete(scripts.bash, ['flashdata', 'd'], dir).sort()).toEqual(['devices', 'dfu', 'doctor'])
      for (const command of Object.keys(COMMANDS)) {
        const offered = bashComplete(scripts.bash, ['flashdata', command, '-'], dir)
        expect(offered.sort(), command).toEqual((await helpFlags(command)).sort())
      }
    },
  )

  it.runIf(has('bash'))('bash: option values from their choices, argument values, files for paths', async () => {
    const dir = await tempDir()
    writeFileSync(join(dir, 'board.bin'), '')
    expect(bashComplete(scripts.bash, ['flashdata', 'jig', 'data', '--foreign', ''], dir)).toEqual([
      'fail',
      'backup-and-overwrite',
    ])
    expect(bashComplete(scripts.bash, ['flashdata', 'completion', 'f'], dir)).toEqual(['fish'])
    expect(bashComplete(scripts.bash, ['flashdata', 'push', 'data', '--emulator', 'bo'], dir)).toEqual(['board.bin'])
    expect(bashComplete(scripts.bash, ['flashdata', 'list', '--se'], dir)).toEqual(['--serial'])
  })

  it.runIf(has('zsh'))('zsh: the script parses and registers _flashdata for flashdata under compinit', async () => {
    const dir = await tempDir()
    const file = join(dir, '_flashdata')
    writeFileSync(file, scripts.zsh)
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0)
    const out = spawnSync(
      'zsh',
      [
        '-f',
        '-c',
        `autoload -U compinit && compinit -u -d ${dir}/zcompdump && source ${file} && print -r -- $_comps[flashdata]`,
      ],
      { encoding: 'utf8' },
    )
    expect(out.stdout.trim(), out.stderr).toBe('_flashdata')
    expect(scripts.zsh).toContain("'(-s --serial)'{-s,--serial}'[")
    expect(scripts.zsh).toContain("'1:completion:(bash zsh fish)'")
  })

  it.runIf(has('fish'))('fish: completes commands, options and their values', async () => {
    const file = join(await tempDir(), 'flashdata.fish')
    writeFileSync(file, scripts.fish)
    const script = (line: string) => {
      const out = spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], {
        encoding: 'utf8',
      })
      expect(out.status, out.stderr).toBe(0)
      return out.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
    }
    expect(script('flashdata do')).toEqual(['doctor'])
    expect(script('flashdata jig data --foreign ')).toEqual(['backup-and-overwrite', 'fail'])
    expect(script('flashdata push data --no-')).toEqual(expect.arrayContaining(['--no-leave', '--no-ignore-vcs']))
  })
})
