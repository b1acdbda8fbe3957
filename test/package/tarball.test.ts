import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ndjson, REPO } from '../helpers/cli.js'
import { checkJsonLines } from '../helpers/schema.js'

const run = promisify(execFile)
// Node first on PATH: the installed bin/flashdata starts with `#!/usr/bin/env node`.
const PATH = `${dirname(process.execPath)}:/usr/bin:/bin`

let prefix = ''
let work = ''

/**
 * The package as a user gets it: `npm pack` (dist/ is built by npm test
 * first; --ignore-scripts, so the pack does not rebuild it under the other
 * tests), installed globally into an empty prefix from the tarball and the
 * registry (npm's cache first).
 */
beforeAll(async () => {
  // Kept for the whole file (tempDir's folders go after each test).
  work = await mkdtemp(join(tmpdir(), 'flashdata-pack-'))
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO })
  const [{ filename, files }] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  const paths = files.map((f) => f.path)
  expect(paths).toEqual(
    expect.arrayContaining([
      'LICENSE',
      'README.md',
      'package.json',
      'bin/flashdata.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/bundle/flashdata.cjs',
      'udev/50-particle.rules',
    ]),
  )
  expect(
    paths.filter(
      (p) =>
        /^dist\/flashdata-/.test(p) || p.startsWith('dist/binary/') || p.startsWith('src/') || p.startsWith('test/'),
    ),
  ).toEqual([])
  prefix = join(work, 'prefix')
  await run(
    'npm',
    ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, filename)],
    { env: { ...process.env, PATH } },
  )
}, 300_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe('the packed package, installed with npm install -g', () => {
  it('runs flashdata --help and pushes onto an emulated board from a folder outside the repository', {
    timeout: 60_000,
  }, async () => {
    const bin = join(prefix, 'bin/flashdata')
    const cwd = join(work, 'user')
    await mkdir(cwd)
    await cp(join(REPO, 'examples/data'), join(cwd, 'data'), { recursive: true })
    const env = { PATH, HOME: cwd, FLASHDATA_EMULATOR_TIMING: 'instant' }
    const help = await run(bin, ['--help'], { cwd, env })
    expect(help.stdout).toContain('Usage: flashdata')
    const pushed = await run(bin, ['push', 'data', '--emulator', 'board.bin', '--json'], { cwd, env })
    checkJsonLines(pushed.stdout, 'installed flashdata push')
    expect(ndjson(pushed.stdout).at(-1)).toMatchObject({ type: 'result', command: 'push', status: 'flashed' })
    const verified = await run(bin, ['verify', 'data', '--emulator', 'board.bin'], { cwd, env })
    expect(verified.stdout).toContain('Match')
    expect((await run(bin, ['udev'], { cwd, env })).stdout).toContain('ATTRS{idVendor}=="2b04"')
  })

  it('is imported by a TypeScript consumer type-checked without @types/node, and runs as ES modules', {
    timeout: 120_000,
  }, async () => {
    const consumer = join(work, 'consumer')
    await mkdir(join(consumer, 'node_modules'), { recursive: true })
    await symlink(join(prefix, 'lib/node_modules/flashdata'), join(consumer, 'node_modules/flashdata'))
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ type: 'module' }))
    // No @types anywhere above the consumer, types: [] and skipLibCheck off: every published .d.ts it reaches is checked.
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          types: [],
          skipLibCheck: false,
          outDir: 'out',
        },
        files: ['main.ts'],
      }),
    )
    await writeFile(
      join(consumer, 'main.ts'),
      `
import { buildImage, EmulatedElectron, EmulatedUsb, FlashdataError, parseImage, push, verify, type JobEvent } from 'flashdata'

const image: Uint8Array = buildImage([{ name: 'hello.txt', data: new TextEncoder().encode('hello'), mtime: 0 }], { epoch: 0 })
const parsed = parseImage(image)
if (!parsed.valid) throw new Error('invalid image')
const bus = new EmulatedUsb()
const board = new EmulatedElectron({ serialNumber: 'aaaaaaaaaaaaaaaaaaaaaaa1', mode: 'dfu' })
bus.attach(board)
const phases: string[] = []
const onEvent = (event: JobEvent) => { if (event.type === 'phase-end') phases.push(event.phase) }
const result = await push({ bus, image, onEvent })
const checked = await verify({ bus, expected: image })
const error: FlashdataError = new FlashdataError('NO_DEVICE', 'example')
export const summary = JSON.stringify({ status: result.status, verified: checked.status, phases: phases.length > 0, exitCode: error.exitCode })
`,
    )
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc')
    const checked = await run(process.execPath, [tsc, '-p', consumer], { cwd: consumer }).catch(
      (e: { stdout: string }) => e,
    )
    expect(checked.stdout).toBe('')
    const ran = await run(
      process.execPath,
      ['--input-type=module', '-e', "const { summary } = await import('./out/main.js'); console.log(summary)"],
      { cwd: consumer },
    )
    expect(JSON.parse(ran.stdout)).toEqual({ status: 'flashed', verified: 'match', phases: true, exitCode: 5 })
  })
})
