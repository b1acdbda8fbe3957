import { execFileSync, spawnSync } from 'node:child_process'
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EmulatedElectron, ExitCode, openFlashFile } from 'flashdata'
import { ndjson, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const instant = { FLASHDATA_EMULATOR_TIMING: 'instant' }

/** A board holding examples/data in a flash file. */
async function board(): Promise<{ dir: string; flash: string; env: NodeJS.ProcessEnv; before: Buffer }> {
  const dir = await tempDir()
  const flash = join(dir, 'e.bin')
  const env = { ...instant, FLASHDATA_EMULATOR: flash }
  expect((await runCli(['push', 'examples/data'], { env })).code).toBe(0)
  return { dir, flash, env, before: await readFile(flash) }
}

describe('one process at a time on a board (CLI)', () => {
  it('a push while another process has the emulated board claimed is BUSY, exit 17, and writes nothing', async () => {
    const { flash, env, before } = await board()
    // This test process plays the other one: it claims the board's DFU interface and keeps it.
    const other = new EmulatedElectron({ flash: openFlashFile(flash), timing: 'instant' })
    const device = other.device!
    await device.open()
    await device.claimInterface(0)
    try {
      for (const args of [['push', 'examples/data', '--force'], ['verify'], ['pull', '-o', '-']]) {
        const result = await runCli([...args, '--json'], { env })
        expect(result.code).toBe(ExitCode.BUSY)
        // With -o - the image owns standard output and the error line is on standard error.
        const machine = args.includes('-') ? result.stderr : result.text
        const error = JSON.parse(machine.trim().split('\n').at(-1)!)
        expect(error).toMatchObject({
          type: 'error',
          code: 'BUSY',
          exitCode: ExitCode.BUSY,
          details: { pid: process.pid },
        })
        expect(error.hint).toContain('Wait for the other flashdata command')
      }
      expect(Buffer.compare(await readFile(flash), before)).toBe(0)
    } finally {
      await device.close()
      other.close()
    }
    // Released: the board is usable again, and the lock file is gone.
    expect((await runCli(['push', 'examples/data', '--force'], { env })).code).toBe(0)
    await expect(readFile(`${flash}.lock`)).rejects.toMatchObject({ code: 'ENOENT' })
  }, 90_000)

  it('a lock left by a killed process is stale and taken over', async () => {
    const { flash, env } = await board()
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    await writeFile(`${flash}.lock`, `${gone.stdout} - ${hostname()}\n`) // no start time: the pid alone is checked
    const result = await runCli(['push', 'examples/data', '--force'], { env })
    expect(result.code).toBe(0)
  })

  it('a lock naming a live process that is not its owner is stale and taken over; one from another host is held', async () => {
    const { flash, env } = await board()
    // This test process is alive, but started long before clock tick 1 after boot; pid 1 (init) is alive too, in a lock with no start time.
    for (const lock of [`${process.pid} 1 ${hostname()}\n`, '1\n']) {
      await writeFile(`${flash}.lock`, lock)
      expect((await runCli(['push', 'examples/data', '--force'], { env })).code).toBe(0)
      await expect(readFile(`${flash}.lock`)).rejects.toMatchObject({ code: 'ENOENT' })
    }
    await writeFile(`${flash}.lock`, `${process.pid} 1 elsewhere.example\n`)
    const busy = await runCli(['push', 'examples/data', '--force', '--json'], { env })
    expect(busy.code).toBe(ExitCode.BUSY)
    expect(ndjson(busy.text).at(-1)).toMatchObject({
      code: 'BUSY',
      message: expect.stringContaining(`(pid ${process.pid} on elsewhere.example)`),
      hint: expect.stringContaining(`rm '${flash}.lock'`),
    })
  })

  it.each([
    ['.mode', 'a folder'],
    ['.mode', 'a FIFO'],
    ['.lock', 'a folder'],
    ['.lock', 'a FIFO'],
  ])(
    'a %s beside the flash file that is %s is refused at once (exit 3), naming it and the fix',
    async (suffix, kind) => {
      const { flash, env, before } = await board()
      const odd = `${flash}${suffix}`
      if (kind === 'a folder') await mkdir(odd)
      else execFileSync('mkfifo', [odd])
      const result = await runCli(['push', 'examples/data', '--force'], { env })
      expect(result.code).toBe(ExitCode.INPUT)
      expect(result.stderr).toContain(`flashdata: ${odd} is not a regular file`)
      expect(result.stderr).toContain(`rm -r '${odd}'`)
      expect(result.stderr).not.toMatch(/^\s+at /m) // no stack
      expect(Buffer.compare(await readFile(flash), before)).toBe(0)
    },
  )

  it('a read-only flash file says so (exit 3), not "no USB permission"', async () => {
    const { dir, flash, env, before } = await board()
    await chmod(flash, 0o444)
    // Root ignores file modes: run the CLI as nobody then, in a folder it may write its lock into.
    const asRoot = process.getuid?.() === 0
    if (asRoot) await chown(dir, 65534, 65534)
    const prefix = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []
    const result = await runCli(['push', 'examples/data', '--force', '--backup-dir', dir], { env, prefix })
    expect(result.code).toBe(ExitCode.INPUT)
    expect(result.stderr).toContain('is read-only')
    expect(result.stderr).toContain('chmod u+w')
    expect(result.stderr).not.toMatch(/udev|USB permission/)
    expect(Buffer.compare(await readFile(flash), before)).toBe(0)
  }, 60_000)
})
