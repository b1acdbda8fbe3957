import type { Command } from 'commander'
import { join } from 'node:path'
import type { FlashdataError } from '../../errors.js'
import { CliError, UDEV_INSTALL_COMMAND } from '../hints.js'
import { printResult, type CliIo } from '../io.js'
import { readUdevRule, UDEV_RULE_NAME as RULE_NAME } from '../udev-rule.js'

interface UdevOptions {
  install?: boolean
  json?: boolean
}

/** `udevadm`: the rules take effect on boards already plugged in, without a replug. */
async function reloadUdev(): Promise<string | undefined> {
  const { execFile } = await import('node:child_process')
  const run = (args: string[]) =>
    new Promise<void>((resolve, reject) => execFile('udevadm', args, (error) => (error ? reject(error) : resolve())))
  try {
    await run(['control', '--reload-rules'])
    await run(['trigger', '--subsystem-match=usb', '--attr-match=idVendor=2b04'])
    return undefined
  } catch (error) {
    return `udevadm failed (${(error as Error).message.split('\n')[0]}): replug the board for the rule to apply.`
  }
}

export function registerUdev(program: Command, io: CliIo): void {
  program
    .command('udev')
    .description(
      'print the Linux udev rule that lets your user use Particle boards without root; --install installs it',
    )
    .option('--install', `write it to /etc/udev/rules.d/${RULE_NAME} and reload udev (as root)`)
    .option('--json', 'with --install: print the result as one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ flashdata udev                     print the rule
  $ sudo flashdata udev --install      install it (then replug the board)
  $ ${UDEV_INSTALL_COMMAND}

The last one works however flashdata was installed (npm -g, npx, the executable).`,
    )
    .action(async (options: UdevOptions) => {
      const rule = await readUdevRule()
      if (!options.install) {
        io.stdout.write(rule)
        return
      }
      if (process.platform !== 'linux')
        throw new CliError(
          'BAD_OPTION',
          'udev rules are for Linux only.',
          "On Windows the board's DFU interface needs the WinUSB driver (Zadig); macOS needs nothing.",
        )
      // FLASHDATA_HOST_ROOT: another root to install under (the tests', which must never touch the real /etc).
      const path = join(io.env.FLASHDATA_HOST_ROOT || '/', 'etc/udev/rules.d', RULE_NAME)
      const { writeFileAtomic } = await import('../../files/write.js')
      await writeFileAtomic(path, new TextEncoder().encode(rule)).catch((error: FlashdataError) => {
        // Here the way that works is known: the command line that writes the rule as root.
        throw new CliError(error.code, error.message, `Run it as root, or: ${UDEV_INSTALL_COMMAND}`, {
          details: error.details,
          cause: error,
        })
      })
      const warning = await reloadUdev()
      if (options.json) printResult(io, 'udev', { installed: path, ...(warning ? { warning } : {}) })
      else
        io.stdout.write(
          `Installed ${path}.${warning ? ` ${warning}` : ' Replug the board if it was already connected.'}\n`,
        )
    })
}
