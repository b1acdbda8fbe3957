import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExitCode } from '../../src/errors.js'
import { ndjson, REPO, runCli } from '../helpers/cli.js'
import { fakeCommands } from '../helpers/fake-commands.js'
import { sysfsDevice } from '../helpers/host.js'
import { tempDir } from '../helpers/tmp.js'

interface Check {
  name: string
  status: string
  summary: string
  details?: string[]
  fix?: string
}

/** A host with an Electron in DFU mode (its device node present), one in firmware mode (cdc_acm) and a hub. */
async function fakeHost({ secondNode = true } = {}): Promise<string> {
  const root = await tempDir()
  await sysfsDevice(
    root,
    '1-1.2',
    { idVendor: '2b04', idProduct: 'd00a', serial: 'E00FCE68D1A3C5B7F1E2D3C4', busnum: '1', devnum: '5' },
    [undefined],
  )
  await sysfsDevice(
    root,
    '1-1.3',
    { idVendor: '2b04', idProduct: 'c00a', serial: 'E00FCE68D1A3C5B7F1E2D3C5', busnum: '1', devnum: '7' },
    ['cdc_acm', 'cdc_acm', undefined],
  )
  await sysfsDevice(root, 'usb1', { idVendor: '1d6b', idProduct: '0002', busnum: '1', devnum: '1' })
  await mkdir(join(root, 'dev/bus/usb/001'), { recursive: true })
  await writeFile(join(root, 'dev/bus/usb/001/005'), '')
  if (secondNode) await writeFile(join(root, 'dev/bus/usb/001/007'), '')
  return root
}

const doctor = async (root: string, args: string[] = [], env: Record<string, string> = {}) =>
  runCli(['doctor', ...args], { env: { FLASHDATA_HOST_ROOT: root, ...env } })
const byName = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c]))

describe.runIf(process.platform === 'linux')('flashdata doctor', () => {
  it('lists each board with its mode and the driver of each interface, and passes when every node can be opened', async () => {
    const root = await fakeHost()
    const out = await doctor(root, ['--json'])
    expect(out.code).toBe(0)
    const lines = ndjson(out.text)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ type: 'result', command: 'doctor' })
    const checks = byName(lines[0].checks as Check[])
    expect(Object.keys(checks)).toEqual(['node', 'usb-library', 'usb-access', 'udev-rule', 'boards', 'browser'])
    expect(checks.node).toMatchObject({ status: 'pass', summary: `Node.js ${process.versions.node}` })
    expect(checks['usb-library'].status).toBe('pass')
    expect(checks['usb-access'].status).toBe('pass')
    expect(checks.boards).toMatchObject({ status: 'pass', summary: '2 seen' })
    expect(checks.boards.details).toEqual([
      `Electron / E-Series in DFU mode (2b04:d00a) serial E00FCE68D1A3C5B7F1E2D3C4 at port 1-1.2, ${root}/dev/bus/usb/001/005; interface 0: no driver`,
      `Electron / E-Series in firmware mode (2b04:c00a) serial E00FCE68D1A3C5B7F1E2D3C5 at port 1-1.3, ${root}/dev/bus/usb/001/007; interface 0: cdc_acm, interface 1: cdc_acm, interface 2: no driver`,
    ])
  })

  it('fails with exit 8 and the exact command when a board cannot be opened, and says so in text', async () => {
    const root = await fakeHost({ secondNode: false })
    const json = await doctor(root, ['--json'])
    expect(json.code).toBe(ExitCode.USB_ACCESS)
    const [error] = ndjson(json.text)
    expect(error).toMatchObject({ type: 'error', code: 'USB_ACCESS', exitCode: ExitCode.USB_ACCESS })
    expect(error.hint).toContain('flashdata udev | sudo tee /etc/udev/rules.d/50-particle.rules')
    const access = byName((error.details as { checks: Check[] }).checks)['usb-access']
    expect(access).toMatchObject({ status: 'fail', summary: `this user may not open ${root}/dev/bus/usb/001/007` })
    const text = await doctor(root)
    expect(text.code).toBe(ExitCode.USB_ACCESS)
    expect(text.text).toMatch(/^✖ usb-access: this user may not open /m)
    expect(text.text).toContain('    fix: Install the udev rule, then replug the board: flashdata udev | sudo tee')
    expect(text.stderr).toContain('flashdata: flashdata doctor: one check failed (usb-access).')
  })

  it('warns with the fix when no board, no USB bus, no udev rule or no WebUSB browser is there', async () => {
    const root = await tempDir()
    const out = await doctor(root, ['--json'], { PATH: '/nonexistent' })
    expect(out.code).toBe(0)
    const checks = byName(ndjson(out.text)[0].checks as Check[])
    expect(checks['usb-access']).toMatchObject({
      status: 'warn',
      summary: `${root}/dev/bus/usb does not exist: no USB devices are visible here`,
    })
    expect(checks['udev-rule'].status).toBe('warn')
    expect(checks['udev-rule'].fix).toContain('flashdata udev | sudo tee')
    expect(checks.boards).toMatchObject({ status: 'warn', summary: 'no Particle board on USB' })
    expect(checks.browser.status).toBe('warn')
    expect(checks.browser.fix).toContain('Chrome, Edge or Chromium')
  })

  it('finds a Chromium-family browser on PATH', async () => {
    const root = await tempDir()
    const bin = join(root, 'bin')
    await mkdir(bin)
    await writeFile(join(bin, 'chromium'), '#!/bin/sh\n', { mode: 0o755 })
    const out = await doctor(root, ['--json'], { PATH: bin })
    expect(byName(ndjson(out.text)[0].checks as Check[]).browser).toMatchObject({
      status: 'pass',
      summary: `${bin}/chromium has WebUSB for flashdata web`,
    })
  })

  it('udev --install writes the rule, which doctor then finds; udev alone prints it', async () => {
    const root = await fakeHost()
    await mkdir(join(root, 'etc/udev/rules.d'), { recursive: true })
    const printed = await runCli(['udev'])
    expect(printed.code).toBe(0)
    expect(printed.text).toBe(await readFile(join(REPO, 'udev/50-particle.rules'), 'utf8'))
    const system = await fakeCommands({ udevadm: 0 })
    const installed = await runCli(['udev', '--install', '--json'], {
      env: { FLASHDATA_HOST_ROOT: root, PATH: system.PATH },
    })
    expect(installed.code).toBe(0)
    expect(ndjson(installed.text)).toEqual([
      { type: 'result', command: 'udev', installed: join(root, 'etc/udev/rules.d/50-particle.rules') },
    ])
    // udev reloads its rules and applies them to the boards already plugged in.
    expect(await system.calls('udevadm')).toEqual([
      'control --reload-rules',
      'trigger --subsystem-match=usb --attr-match=idVendor=2b04',
    ])
    expect(await readFile(join(root, 'etc/udev/rules.d/50-particle.rules'), 'utf8')).toBe(printed.text)
    const checks = byName(ndjson((await doctor(root, ['--json'])).text)[0].checks as Check[])
    expect(checks['udev-rule']).toMatchObject({
      status: 'pass',
      summary: `installed: ${root}/etc/udev/rules.d/50-particle.rules`,
    })
  })

  it('udev --install says to replug the board when udevadm fails, the rule installed', async () => {
    const root = await tempDir()
    await mkdir(join(root, 'etc/udev/rules.d'), { recursive: true })
    const system = await fakeCommands({ udevadm: 1 })
    const out = await runCli(['udev', '--install'], { env: { FLASHDATA_HOST_ROOT: root, PATH: system.PATH } })
    expect(out.code).toBe(0)
    expect(out.text).toMatch(
      /^Installed .*50-particle\.rules\. udevadm failed \(.*\): replug the board for the rule to apply\.\n$/,
    )
    expect(await system.calls('udevadm')).toEqual(['control --reload-rules'])
  })

  it('udev --install into a folder that cannot be written fails with the command that works', async () => {
    const root = await tempDir()
    const out = await runCli(['udev', '--install'], { env: { FLASHDATA_HOST_ROOT: root } })
    expect(out.code).toBe(ExitCode.INPUT)
    expect(out.stderr).toContain('flashdata udev | sudo tee /etc/udev/rules.d/50-particle.rules')
  })
})

describe('flashdata --version', () => {
  const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }
  const usb = JSON.parse(readFileSync(join(REPO, 'node_modules/usb/package.json'), 'utf8')) as { version: string }

  it('names flashdata, Node.js, the usb package and its backend; --json as one object', async () => {
    const text = await runCli(['--version'])
    expect(text.code).toBe(0)
    expect(text.text).toBe(
      `flashdata ${version}\nNode.js ${process.versions.node} (${process.platform}-${process.arch})\nusb ${usb.version} (nusb backend: no libusb needed)\n`,
    )
    expect((await runCli(['-V'])).text).toBe(text.text)
    const json = await runCli(['--version', '--json'])
    expect(ndjson(json.text)).toEqual([
      {
        type: 'result',
        command: 'version',
        flashdata: version,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        usb: usb.version,
        usbBackend: 'nusb',
        libusb: null,
      },
    ])
  })

  it('the installed usb addon is built on nusb, as the version says, and has no libusb in it', async () => {
    const addon = await readFile(
      join(
        REPO,
        `node_modules/@node-usb/usb-${process.platform}-${process.arch}-gnu/usb.${process.platform}-${process.arch}-gnu.node`,
      ),
    )
    expect(addon.includes('nusb-')).toBe(true)
    expect(addon.includes('libusb_init')).toBe(false)
  })
})
