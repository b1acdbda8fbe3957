import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from './tmp.js'

/**
 * A folder of stand-ins for system programs (xdg-open, udevadm), to put first
 * on PATH: each appends its arguments as one line to `<name>.calls` beside
 * itself, then exits with the given code.
 */
export async function fakeCommands(exitCodes: Record<string, number>) {
  const bin = await tempDir('flashdata-bin-')
  for (const [name, code] of Object.entries(exitCodes)) {
    await writeFile(join(bin, name), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$0.calls"\nexit ${code}\n`)
    await chmod(join(bin, name), 0o755)
  }
  return {
    PATH: `${bin}:${process.env.PATH}`,
    /** The argument lines of every call so far; none when it was never run. */
    calls: (name: string) =>
      readFile(join(bin, `${name}.calls`), 'utf8').then(
        (text) => text.split('\n').slice(0, -1),
        () => [],
      ),
  }
}
