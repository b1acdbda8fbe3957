import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { buildImage, ExitCode } from 'flashdata'
import { tempDir } from '../helpers/tmp.js'
import { BoardFile, describeRun, EDGE_TEST_TIMEOUT_MS, Random, runAll, runOnBoard } from './harness.js'

const WHOLE = ['', ' ', 'abc', '1.5', '1e3', '0x10', '-1', '+5', ' 5', 'NaN', '99999999999999999999']
const ADDRESS = ['', 'foo', '0x', '0xg', '-1', '1.5', '0x100000000', '0x080A_0000', ' 0x080A0000']

/** Each option with the commands that take it and values it must refuse as a usage error (exit 2). */
const OPTIONS: { option: string; commands: string[]; bad: string[] }[] = [
  { option: '--wait', commands: ['push', 'verify', 'pull', 'devices', 'dfu', 'reset'], bad: [...WHOLE, '86401'] },
  { option: '--epoch', commands: ['push', 'verify', 'jig', 'build', 'inspect'], bad: [...WHOLE, '4294967296'] },
  { option: '--align', commands: ['push', 'verify', 'jig', 'build', 'inspect'], bad: [...WHOLE, '0', '4097'] },
  { option: '--exclude', commands: ['push', 'verify', 'jig', 'build', 'inspect'], bad: [''] },
  { option: '--nul-terminate', commands: ['push', 'verify', 'jig', 'build', 'inspect'], bad: [''] },
  { option: '--count', commands: ['jig'], bad: [...WHOLE, '0'] },
  { option: '--timeout', commands: ['jig'], bad: [...WHOLE, '0'] },
  { option: '--dfu-timeout', commands: ['jig'], bad: [...WHOLE, '0', '601'] },
  { option: '--log', commands: ['jig'], bad: [''] },
  { option: '--wait-app', commands: ['push'], bad: [...WHOLE.filter((v) => !v.startsWith('-')), '0', '3601'] },
  { option: '--address', commands: ['push', 'verify', 'pull'], bad: ADDRESS },
  { option: '--serial', commands: ['push', 'verify', 'pull', 'devices', 'dfu', 'reset'], bad: [''] },
  { option: '--emulator', commands: ['push', 'verify', 'pull', 'devices', 'dfu', 'reset', 'jig'], bad: [''] },
  { option: '--output', commands: ['build', 'pull', 'extract'], bad: [''] },
]

/** Environment variables that are option values too. */
const ENV_CASES: { env: NodeJS.ProcessEnv; commands: string[] }[] = [
  { env: { FLASHDATA_EMULATOR: '' }, commands: ['push', 'verify', 'pull', 'devices', 'dfu', 'reset', 'jig'] },
  { env: { SOURCE_DATE_EPOCH: 'yesterday' }, commands: ['push-folder', 'build', 'inspect-folder'] },
  { env: { FLASHDATA_EMULATOR_TIMING: 'fast' }, commands: ['push', 'verify', 'devices'] },
]

describe('edge: every bad option value is a usage error (exit 2) that touches nothing', {
  timeout: EDGE_TEST_TIMEOUT_MS,
}, () => {
  let dir: string
  let image: string
  let board: BoardFile
  const random = new Random()

  // tempDir folders last one test, so each test starts from its own.
  beforeEach(async () => {
    dir = await tempDir()
    image = join(dir, 'data.bin')
    const bytes = buildImage([{ name: 'a.txt', data: new TextEncoder().encode('a'), mtime: 1 }], { epoch: 1 })
    await writeFile(image, bytes)
    board = await BoardFile.create(join(dir, 'board.bin'), bytes)
  })

  /** The command line of `command` that is valid apart from the option under test. */
  function commandLine(command: string, option?: string, value?: string): string[] {
    const base: Record<string, string[]> = {
      push: ['push', image],
      verify: ['verify'],
      pull: ['pull'],
      devices: ['devices'],
      dfu: ['dfu'],
      reset: ['reset'],
      jig: ['jig', image, '--count', '1'],
      build: ['build', image],
      inspect: ['inspect', image],
      extract: ['extract', image],
      'push-folder': ['push', 'examples/data'],
      'inspect-folder': ['inspect', 'examples/data'],
    }
    const needsOutput = ['build', 'pull', 'extract'].includes(command) && option !== '--output'
    return [
      ...base[command],
      ...(needsOutput ? ['-o', join(dir, `out-${random.int(0, 1e9)}`)] : []),
      ...(option ? [option, value!] : []),
    ]
  }

  it("named cases: --address foo and '', --emulator '' (never the real USB bus), --serial '', FLASHDATA_EMULATOR=''", async () => {
    const cases: { args: string[]; env?: NodeJS.ProcessEnv }[] = [
      { args: commandLine('push', '--address', 'foo') },
      { args: commandLine('push', '--address', '') },
      { args: commandLine('push', '--emulator', '') },
      { args: commandLine('devices', '--emulator', '') },
      { args: commandLine('verify', '--serial', '') },
      { args: commandLine('push'), env: { FLASHDATA_EMULATOR: '' } },
    ]
    await runAll(cases, async ({ args, env }) => {
      const result = await runOnBoard(board, args, { env })
      expect(result.code, describeRun(result)).toBe(ExitCode.USAGE)
      expect(result.stderr, describeRun(result)).not.toMatch(/No Particle board|udev/)
    })
  })

  it('random variants over every option and command', async () => {
    const variants = Array.from({ length: 24 }, () => {
      const { option, commands, bad } = random.pick(OPTIONS)
      return commandLine(random.pick(commands), option, random.pick(bad))
    })
    await runAll(variants, async (args) => {
      const result = await runOnBoard(board, args)
      expect(result.code, describeRun(result)).toBe(ExitCode.USAGE)
    })
  })

  it('environment variables with bad values', async () => {
    const variants = ENV_CASES.flatMap(({ env, commands }) =>
      commands.map((command) => ({ env, args: commandLine(command) })),
    )
    await runAll(variants, async ({ env, args }) => {
      const result = await runOnBoard(board, args, { env })
      expect(result.code, describeRun(result)).toBe(ExitCode.USAGE)
    })
  })
})
