import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { startUntil } from '../helpers/cli.js'
import { fakeCommands } from '../helpers/fake-commands.js'

describe('flashdata web', () => {
  it('--open opens the served address with the system opener (xdg-open), and runs until stopped', async () => {
    const system = await fakeCommands({ 'xdg-open': 0 })
    const web = startUntil(['web', '--port', '0', '--open', '--json'], { PATH: system.PATH }, (line) =>
      line.includes('"url"'),
    )
    await web.reached
    const url = JSON.parse(web.output().split('\n')[0]).url as string
    // The opener runs detached, after the address is printed (or the command fails first).
    while ((await system.calls('xdg-open')).length === 0 && web.child.exitCode === null) await sleep(20)
    expect(await system.calls('xdg-open')).toEqual([url])
    web.child.kill('SIGTERM')
    expect(await web.exited).toBe(0)
  })
})
