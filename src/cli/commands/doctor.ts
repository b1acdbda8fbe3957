import type { Command } from 'commander'
import { CliError } from '../hints.js'
import { printResult, type CliIo } from '../io.js'

const MARKS = { pass: '✔', warn: '!', fail: '✖' } as const

export function registerDoctor(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description(
      'check this machine for what makes USB flashing fail (USB access, udev rule, boards and their drivers, Node.js, a WebUSB browser) and say how to fix each',
    )
    .option('--json', 'print the checks as one JSON object')
    .addHelpText(
      'after',
      `
Each check passes (✔), warns (!) or fails (✖) with what to do. Exit code 0
unless a check fails (8: USB cannot be used).

Examples:
  $ flashdata doctor
  $ flashdata doctor --json | jq '.checks[] | select(.status != "pass")'`,
    )
    .action(async (options: { json?: boolean }) => {
      const { runDoctor } = await import('../doctor.js')
      const checks = await runDoctor({
        // FLASHDATA_HOST_ROOT: a fake /sys, /dev and /etc for the tests.
        root: io.env.FLASHDATA_HOST_ROOT || '/',
        platform: process.platform,
        env: io.env,
        isRoot: process.getuid?.() === 0,
      })
      const failed = checks.filter((c) => c.status === 'fail')
      if (options.json) {
        if (failed.length === 0) printResult(io, 'doctor', { checks })
      } else {
        for (const check of checks) {
          io.stdout.write(`${MARKS[check.status]} ${check.name}: ${check.summary}\n`)
          for (const line of check.details ?? []) io.stdout.write(`    ${line}\n`)
          if (check.fix) io.stdout.write(`    fix: ${check.fix}\n`)
        }
      }
      if (failed.length > 0) {
        throw new CliError(
          'USB_ACCESS',
          `flashdata doctor: ${failed.length === 1 ? 'one check' : `${failed.length} checks`} failed (${failed.map((c) => c.name).join(', ')}).`,
          failed[0].fix ?? 'Run flashdata doctor again after fixing what it names.',
          { details: { checks } },
        )
      }
    })
}
