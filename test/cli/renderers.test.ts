import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { JobEvent } from 'flashdata'
import type { CliIo } from '../../src/cli/io.js'
import { BoardLinesRenderer } from '../../src/cli/render/boards.js'
import { createRenderer } from '../../src/cli/render/progress.js'

function captureIo(): { io: CliIo; err: () => string; out: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d: Buffer) => { out += d.toString() })
  stderr.on('data', (d: Buffer) => { err += d.toString() })
  return { io: { stdout, stderr, env: {}, exitCode: 0 }, err: () => err, out: () => out }
}

const record = (serial: string, outcome: 'flashed' | 'failed') => ({
  serial, startedAt: '', endedAt: '', durationMs: 2500, imageCrc: 1, imageSize: 10, phases: {}, outcome,
  ...(outcome === 'failed' ? { error: { code: 'WRONG_DEVICE', message: 'a Photon' } } : {}),
})

describe('progress renderers', () => {
  it('plain: one line per finished phase with bytes, time and speed; tagged with the serial for the jig', async () => {
    const { io, err } = captureIo()
    const renderer = await createRenderer('plain', io, { tagged: true })
    renderer.event({ type: 'phase-start', phase: 'write', serial: 'aa', totalBytes: 4096 })
    renderer.event({ type: 'progress', phase: 'write', serial: 'aa', bytes: 2048, totalBytes: 4096, elapsedMs: 10 })
    renderer.event({ type: 'phase-end', phase: 'write', serial: 'aa', bytes: 4096, elapsedMs: 1000 })
    renderer.event({ type: 'board-done', serial: 'bb', record: record('bb', 'failed') })
    await new Promise((r) => setImmediate(r))
    expect(err()).toBe('[aa] Wrote (4,096 bytes, 1.00 s, 4.0 KiB/s)\n[bb] failed after 2.50 s: a Photon\n')
  })

  it('json: every event is one JSON line on stdout', async () => {
    const { io, out } = captureIo()
    const renderer = await createRenderer('json', io)
    const event: JobEvent = { type: 'phase-end', phase: 'erase', serial: 'aa', elapsedMs: 5 }
    renderer.event(event)
    await new Promise((r) => setImmediate(r))
    expect(JSON.parse(out())).toMatchObject(event)
  })

  it('jig on a TTY: one line per board, redrawn in place as each board progresses', async () => {
    const { io, err } = captureIo()
    const renderer = new BoardLinesRenderer(io)
    renderer.event({ type: 'board-attached', serial: 'aa', mode: 'dfu', platform: 'electron' })
    renderer.event({ type: 'board-attached', serial: 'bb', mode: 'firmware', platform: 'electron' })
    renderer.event({ type: 'progress', phase: 'write', serial: 'aa', bytes: 1024, totalBytes: 4096, elapsedMs: 1 })
    renderer.event({ type: 'board-done', serial: 'bb', record: record('bb', 'flashed') })
    await new Promise((r) => setImmediate(r))
    // The last frame: the cursor moves up over the two lines and redraws both.
    const frames = err().split('\x1b[2A\x1b[0J')
    expect(frames.at(-1)).toBe('aa  writing 25%\nbb  flashed in 2.50 s\n')
  })

  it('names each board\'s slot and port on its line (TTY) and when it arrives (plain)', async () => {
    const tty = captureIo()
    const lines = new BoardLinesRenderer(tty.io)
    lines.event({ type: 'board-attached', serial: 'aa', mode: 'dfu', platform: 'electron', port: '1-1.2', slot: 'A' })
    lines.event({ type: 'board-attached', serial: 'bb', mode: 'dfu', platform: 'electron', port: '1-1.3' })
    expect(tty.err().split('\x1b[1A\x1b[0J').at(-1)).toBe('aa (slot A, port 1-1.2)  attached (in DFU mode)\nbb (port 1-1.3)  attached (in DFU mode)\n')
    const plain = captureIo()
    const renderer = await createRenderer('plain', plain.io, { tagged: true })
    renderer.event({ type: 'board-attached', serial: 'aa', mode: 'dfu', platform: 'electron', port: '1-1.2', slot: 'A' })
    expect(plain.err()).toContain('attached at slot A, port 1-1.2 (in DFU mode)')
  })
})
