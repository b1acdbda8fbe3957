import type { Command, Option } from 'commander'

/** An option as the shells need it: its spellings, whether a value follows, and the values it allows. */
interface OptionSpec {
  short?: string
  long?: string
  description: string
  takesValue: boolean
  choices?: readonly string[]
}

interface CommandSpec {
  names: string[]
  description: string
  options: OptionSpec[]
  /** The values of its first argument, when commander lists them (`completion <shell>`). */
  argChoices?: readonly string[]
  /** It takes file or folder arguments. */
  takesPaths: boolean
}

export type Shell = 'bash' | 'zsh' | 'fish'
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish']

const HELP: OptionSpec = { short: '-h', long: '--help', description: 'display help for command', takesValue: false }

const optionSpec = (option: Option): OptionSpec => ({
  short: option.short,
  long: option.long,
  description: option.description,
  takesValue: option.required || option.optional,
  choices: option.argChoices,
})

/** What the shells complete, read from commander's own tree, so the scripts cannot drift from the commands. */
function specOf(program: Command): { globals: OptionSpec[]; commands: CommandSpec[] } {
  return {
    globals: [...program.options.map(optionSpec), HELP],
    commands: program.commands.map((command) => {
      const args = command.registeredArguments
      return {
        names: [command.name(), ...command.aliases()],
        description: command.description(),
        options: [...command.options.map(optionSpec), HELP],
        argChoices: args[0]?.argChoices,
        takesPaths: args.length > 0 && !args[0].argChoices,
      }
    }),
  }
}

const flags = (options: OptionSpec[]) =>
  options.flatMap((o) => [o.short, o.long].filter((f): f is string => Boolean(f)))
const single = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`

function bash(program: Command): string {
  const { globals, commands } = specOf(program)
  const names = commands.flatMap((c) => c.names)
  const cases = commands.map((c) => {
    const valueCases = c.options
      .filter((o) => o.takesValue)
      .map(
        (o) =>
          `        ${flags([o]).join('|')}) ${o.choices ? `COMPREPLY=($(compgen -W ${single(o.choices.join(' '))} -- "$cur"))` : 'COMPREPLY=($(compgen -f -- "$cur"))'}; return ;;`,
      )
    const words = c.argChoices
      ? `compgen -W ${single(c.argChoices.join(' '))} -- "$cur"`
      : c.takesPaths
        ? 'compgen -f -- "$cur"'
        : ''
    const values = valueCases.length ? `      case "$prev" in\n${valueCases.join('\n')}\n      esac\n` : ''
    return `    ${c.names.join('|')})
${values}      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${single(flags(c.options).join(' '))} -- "$cur"))
      ${words ? `else COMPREPLY=($(${words}))` : 'else COMPREPLY=()'}
      fi ;;`
  })
  return `# flashdata bash completion (flashdata completion bash); load it with
#   source <(flashdata completion bash)
# or save it as ~/.local/share/bash-completion/completions/flashdata
_flashdata() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) command="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$command" in
    "") COMPREPLY=($(compgen -W ${single([...names, ...flags(globals)].join(' '))} -- "$cur")) ;;
${cases.join('\n')}
  esac
}
complete -o filenames -F _flashdata flashdata
`
}

/** zsh `_arguments` specs: brackets and colons in descriptions are escaped. */
function zsh(program: Command): string {
  const { commands } = specOf(program)
  const describe = (text: string) => text.replace(/[[\]:\\]/g, '\\$&')
  const spec = (o: OptionSpec) => {
    const value = o.takesValue ? `:value:${o.choices ? `(${o.choices.join(' ')})` : '_files'}` : ''
    const spellings = flags([o])
    const names = spellings.length > 1 ? `(${spellings.join(' ')})'{${spellings.join(',')}}'` : spellings[0]
    return `'${names}[${describe(o.description).replace(/'/g, `'\\''`)}]${value}'`
  }
  const entries = commands.flatMap((c) => c.names.map((name) => single(`${name}:${describe(c.description)}`)))
  const cases = commands.map((c) => {
    const rest = c.argChoices ? `'1:${c.names[0]}:(${c.argChoices.join(' ')})'` : c.takesPaths ? `'*:file:_files'` : ''
    return `    ${c.names.join('|')}) _arguments -s ${[...c.options.map(spec), rest].filter(Boolean).join(' ')} ;;`
  })
  return `#compdef flashdata
# flashdata zsh completion (flashdata completion zsh); load it with
#   source <(flashdata completion zsh)
# or save it as _flashdata in a folder on $fpath
_flashdata() {
  local -a commands
  commands=(${entries.join(' ')})
  if (( CURRENT == 2 )); then
    _describe command commands
    return
  fi
  local command=$words[2]
  shift words
  (( CURRENT-- ))
  case $command in
${cases.join('\n')}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _flashdata "$@"
else
  compdef _flashdata flashdata
fi
`
}

function fish(program: Command): string {
  const { commands } = specOf(program)
  const lines = ['complete -c flashdata -f']
  for (const c of commands) {
    for (const name of c.names)
      lines.push(`complete -c flashdata -n __fish_use_subcommand -a ${name} -d ${fishQuote(c.description)}`)
    const when = `-n '__fish_seen_subcommand_from ${c.names.join(' ')}'`
    for (const o of c.options) {
      const spell = [o.short ? `-s ${o.short.slice(1)}` : '', o.long ? `-l ${o.long.slice(2)}` : '']
        .filter(Boolean)
        .join(' ')
      const value = o.takesValue ? (o.choices ? ` -x -a ${single(o.choices.join(' '))}` : ' -r -F') : ''
      lines.push(`complete -c flashdata ${when} ${spell}${value} -d ${fishQuote(o.description)}`)
    }
    if (c.argChoices) lines.push(`complete -c flashdata ${when} -x -a ${single(c.argChoices.join(' '))}`)
    else if (c.takesPaths) lines.push(`complete -c flashdata ${when} -F`)
  }
  return `# flashdata fish completion (flashdata completion fish); load it with
#   flashdata completion fish | source
# or save it as ~/.config/fish/completions/flashdata.fish
${lines.join('\n')}
`
}

/** fish's single quotes: only backslash and the quote itself are escaped. */
const fishQuote = (text: string) => `'${text.replace(/[\\']/g, '\\$&')}'`

export function completionScript(program: Command, shell: Shell): string {
  return { bash, zsh, fish }[shell](program)
}
