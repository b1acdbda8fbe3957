import { Argument, type Command } from 'commander'
import { SHELLS, type Shell } from '../completion.js'
import type { CliIo } from '../io.js'

/** `wholeProgram` makes the command tree with every command set up, as --help sees it. */
export function registerCompletion(program: Command, io: CliIo, wholeProgram: () => Command): void {
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
      // The whole command tree: only this command was set up to run it.
      const { completionScript } = await import('../completion.js')
      io.stdout.write(completionScript(wholeProgram(), shell))
    })
}
