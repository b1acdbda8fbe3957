import { Argument, type Command } from 'commander'
import { SHELLS, type Shell } from '../completion.js'
import type { CliIo } from '../io.js'

export function registerCompletion(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('print a shell completion script for bash, zsh or fish (commands, options and their values)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText(
      'after',
      `
Examples:
  $ source <(flashdata completion bash)      in ~/.bashrc
  $ source <(flashdata completion zsh)       in ~/.zshrc (after compinit)
  $ flashdata completion fish > ~/.config/fish/completions/flashdata.fish`,
    )
    .action(async (shell: Shell) => {
      // The whole command tree, as --help sees it: only this command was set up to run it.
      const { createProgram } = await import('../main.js')
      const { completionScript } = await import('../completion.js')
      io.stdout.write(completionScript(createProgram(['node', 'flashdata'], io, false), shell))
    })
}
