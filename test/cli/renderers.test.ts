import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { JobEvent } from 'flashdata'
import type { CliIo } from '../../src/cli/io.js'
import { BoardLinesRenderer } from '../../src/cli/render/boards.js'
import { createRenderer, outputMode, progressText, waitingText } from '../../src/cli/render/progress.js'
import { EXPECTED_MS } from '../../src/jobs/events.js'
import { finalScreen, screenLines } from '../helpers/pty.js'

/** A terminal of `columns` on standard error, as the renderers see one. */
function ttyIo(columns: number, env: NodeJS.ProcessEnv = {}) {
  const captured = captureIo()
  const stream = captured.io.stderr
  // The tty.WriteStream methods ora moves the cursor with.
  Object.assign(stream, {
    isTTY: true,
    columns,
    cursorTo: (x: number, callback?: () => void) => stream.write(x === 0 ? '\r' : `\x1b[${x + 1}G`, callback),
    moveCursor: (_dx: number, dy: number, callback?: () => void) =>
      stream.write(dy < 0 ? `\x1b[${-dy}F` : '', callback),
    clearLine: (_dir: number, callback?: () => void) => stream.write('\x1b[2K', callback),
  })
  captured.io.env = env
  return captured
}

/**
 * What the terminal holds after a renderer's output: the permanent lines,
 * and the live area it redraws (the lines after the last cursor-up-and-clear
 * back over what it drew).
 */
function screen(output: string): { permanent: string[]; live: string[] } {
  const lines = finalScreen(output)
  if (lines.at(-1) === '') lines.pop() // the cursor's line, below the last one written
  // The live area is the last frame: its summary line says how many board lines are above it.
  const boards = Number(/^(\d+) boards? in progress;/.exec(lines.at(-1) ?? '')?.[1] ?? -1)
  const liveStart = lines.length - (boards + 1)
  return { permanent: lines.slice(0, liveStart), live: lines.slice(liveStart) }
}

function captureIo(): { io: CliIo; err: () => string; out: () => string } {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  return { io: { stdout, stderr, env: {}, exitCode: 0 }, err: () => err, out: () => out }
}

const record = (serial: string, outcome: 'flashed' | 'failed') => ({
  serial,
  startedAt: '',
  endedAt: '',
  durationMs: 2500,
  imageCrc: 1,
  imageSize: 10,
  phases: {},
  outcome,
  ...(outcome === 'failed' ? { error: { code: 'WRONG_DEVICE' as const, message: 'a Photon' } } : {}),
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

  it('jig on a terminal: finished boards printed once above a live area of the boards in progress and one summary line', () => {
    const { io, err } = ttyIo(80)
    const renderer = new BoardLinesRenderer(io)
    const serials = Array.from({ length: 40 }, (_, i) => `e00fce68${String(i).padStart(16, '0')}`)
    let largest = 0
    for (const [i, serial] of serials.entries()) {
      renderer.event({
        type: 'board-attached',
        serial,
        mode: i % 2 ? 'dfu' : 'firmware',
        platform: 'electron',
        port: `1-1.${i}`,
      })
      renderer.event({ type: 'progress', phase: 'write', serial, bytes: 1024, totalBytes: 4096, elapsedMs: 1 })
      if (i >= 2)
        renderer.event({
          type: 'board-done',
          serial: serials[i - 2],
          record: record(serials[i - 2], i % 7 ? 'flashed' : 'failed'),
        })
      largest = Math.max(largest, screen(err()).live.length)
    }
    const { permanent, live } = screen(err())
    // 38 boards done, each printed once, with its outcome; the live area never grew past 2 boards + the summary.
    for (const serial of serials.slice(0, 38))
      expect(
        permanent.filter((line) => line.includes(serial)),
        serial,
      ).toHaveLength(1)
    expect(permanent.filter((line) => line.startsWith('✖ '))).toHaveLength(5)
    expect(permanent.find((line) => line.startsWith('✖ '))).toMatch(
      /^✖ e00fce68\d{16} {2}failed after 2\.50 s: a Photon \(port 1-1\.\d+\)$/,
    )
    expect(largest).toBe(3)
    expect(live).toEqual([
      `${serials[38]}  writing 25% (port 1-1.38)`,
      `${serials[39]}  writing 25% (port 1-1.39)`,
      '2 boards in progress; done: 33 flashed, 0 unchanged, 5 failed',
    ])
    renderer.close()
    expect(screen(err()).live).toEqual([])
  })

  it('jig on a terminal: station messages go above the live area, which is drawn again below them', () => {
    const { io, err } = ttyIo(80)
    const renderer = new BoardLinesRenderer(io)
    renderer.event({ type: 'board-attached', serial: 'aa', mode: 'dfu', platform: 'electron' })
    renderer.event({
      type: 'message',
      level: 'info',
      message: 'Stopping: finishing the boards in progress (Ctrl-C again to abort).',
    })
    const { permanent, live } = screen(err())
    expect(permanent).toEqual(['Stopping: finishing the boards in progress (Ctrl-C again to abort).'])
    expect(live).toEqual(['aa  attached (in DFU mode)', '1 board in progress; done: 0 flashed, 0 unchanged, 0 failed'])
  })

  it('a 40-column terminal: every line cut with an ellipsis, none wrapped', async () => {
    const { io, err } = ttyIo(40)
    const lines = new BoardLinesRenderer(io)
    lines.event({
      type: 'board-attached',
      serial: 'e00fce68d1a3c5b7f1e2d3c4',
      mode: 'dfu',
      platform: 'electron',
      port: '/home/station/boards/e00fce68d1a3c5b7f1e2d3c4.bin',
    })
    lines.event({
      type: 'board-done',
      serial: 'e00fce68d1a3c5b7f1e2d3c4',
      record: record('e00fce68d1a3c5b7f1e2d3c4', 'failed'),
    })
    const single = ttyIo(40)
    const renderer = await createRenderer('tty', single.io)
    renderer.event({ type: 'phase-start', phase: 'connect' })
    renderer.event({
      type: 'phase-end',
      phase: 'connect',
      elapsedMs: 5,
      detail: 'Electron / E-Series e00fce68d1a3c5b7f1e2d3c4 (running firmware)',
    })
    renderer.close()
    for (const output of [err(), single.err()]) {
      const shown = screenLines(output).filter((line) => line !== '')
      expect(shown.length).toBeGreaterThan(0)
      for (const line of shown) expect([...line].length, line).toBeLessThanOrEqual(39)
      expect(shown.some((line) => line.endsWith('…'))).toBe(true)
    }
  })

  it("a failure on a terminal ends the running phase with a red ✖ line; NO_COLOR leaves out every colour, the spinner's too", async () => {
    for (const [env, red] of [
      [{ FORCE_COLOR: '1' }, true],
      [{ NO_COLOR: '1' }, false],
    ] as const) {
      const { io, err } = ttyIo(80, env)
      const renderer = await createRenderer('tty', io)
      renderer.event({ type: 'phase-start', phase: 'write', totalBytes: 4096 })
      renderer.event({ type: 'progress', phase: 'write', bytes: 1024, totalBytes: 4096, elapsedMs: 100 })
      await new Promise((r) => setTimeout(r, 150)) // a spinner frame or two
      renderer.fail!()
      renderer.close()
      const last = screenLines(err())
        .filter((line) => line !== '')
        .at(-1)
      expect(last).toMatch(/^✖ Writing failed after \d+\.\d s$/)
      expect(err().includes('\x1b[31m✖'), JSON.stringify(env)).toBe(red)
      if (!red) expect(err()).not.toMatch(/\x1b\[(3\d|9\d)m/)
    }
  })

  it('a phase-failed event ends the running phase with a ✖ line naming the code, on a terminal and in plain lines', async () => {
    const { io, err } = ttyIo(80, { NO_COLOR: '1' })
    const renderer = await createRenderer('tty', io)
    renderer.event({ type: 'phase-start', phase: 'write', totalBytes: 4096 })
    renderer.event({ type: 'phase-failed', phase: 'write', elapsedMs: 1200, bytes: 1024, code: 'DFU_WRITE_FAILED' })
    renderer.close()
    expect(screenLines(err()).filter((line) => line !== '')).toContain(
      '✖ Writing failed after 1.2 s (DFU_WRITE_FAILED)',
    )
    const plain = captureIo()
    const lines = await createRenderer('plain', plain.io)
    lines.event({ type: 'phase-failed', phase: 'write', elapsedMs: 1200, code: 'DFU_WRITE_FAILED' })
    expect(plain.err()).toBe('Writing failed after 1.2 s (DFU_WRITE_FAILED)\n')
  })

  it('progress without a known total shows bytes and speed, no bar and no percent', () => {
    expect(progressText({ type: 'progress', phase: 'read', bytes: 12288, elapsedMs: 1000 })).toBe(
      'Reading 12.0 KiB, 12.0 KiB/s',
    )
  })

  it('write and verify progress shows percent and time left; erase and the DFU switch elapsed against expected time', () => {
    expect(progressText({ type: 'progress', phase: 'write', bytes: 32768, totalBytes: 131072, elapsedMs: 1000 })).toBe(
      'Writing [#####---------------] 25% 32.0/128.0 KiB, 32.0 KiB/s, 3.0 s left',
    )
    expect(
      progressText({ type: 'progress', phase: 'verify', bytes: 131072, totalBytes: 131072, elapsedMs: 500 }),
    ).toMatch(/^Verifying .* 100% .*, 0\.0 s left$/)
    expect(waitingText('erase', 400, EXPECTED_MS.erase!)).toBe('Erasing 0.4 s of about 1.0 s')
    expect(waitingText('mode-switch', 2100, EXPECTED_MS['mode-switch']!)).toBe(
      'Switching to DFU mode 2.1 s of about 1.3 s',
    )
  })

  it('--plain forces plain lines on a terminal', () => {
    const { io } = ttyIo(80)
    expect(outputMode(io, {})).toBe('tty')
    expect(outputMode(io, { plain: true })).toBe('plain')
  })

  it("names each board's slot and port on its line (TTY) and when it arrives (plain)", async () => {
    const tty = ttyIo(80)
    const lines = new BoardLinesRenderer(tty.io)
    lines.event({ type: 'board-attached', serial: 'aa', mode: 'dfu', platform: 'electron', port: '1-1.2', slot: 'A' })
    lines.event({ type: 'board-attached', serial: 'bb', mode: 'dfu', platform: 'electron', port: '1-1.3' })
    expect(screen(tty.err()).live.slice(0, 2)).toEqual([
      'aa  attached (in DFU mode) (slot A, port 1-1.2)',
      'bb  attached (in DFU mode) (port 1-1.3)',
    ])
    const plain = captureIo()
    const renderer = await createRenderer('plain', plain.io, { tagged: true })
    renderer.event({
      type: 'board-attached',
      serial: 'aa',
      mode: 'dfu',
      platform: 'electron',
      port: '1-1.2',
      slot: 'A',
    })
    expect(plain.err()).toContain('attached at slot A, port 1-1.2 (in DFU mode)')
  })
})
