// The pages' own words for what to do next: never a command-line option, whatever the code and its facts.
import { describe, expect, it } from 'vitest'
import { cliHint } from '../../src/cli/hints.js'
import { ENTRY_SIZE } from '../../src/image/format.js'
import { ERROR_CODES, type ErrorDetails, FlashdataError } from '../../src/errors.js'
import { stationHint } from '../../src/station/page/hints.js'
import { pageHint } from '../../src/web/hints.js'

/** Facts that switch a host's wording, each in turn (the CLI's hints read them all). */
const VARIANTS: Partial<ErrorDetails[keyof ErrorDetails]>[] = [
  {},
  { webUsb: false },
  { role: 'file' },
  { role: 'image' },
  { role: 'dfu' },
  { over: 10, largest: [{ name: 'big.bin', size: 140_000 }] },
  { file: 'x.bin' },
  { serial: 'e00fce68aabbccddeeff0011', present: [{ serial: 'e00fce68aabbccddeeff0012' }] },
] as never

const OPTION = /(^|\s)--?[a-z]/
/** The page's udev instruction is a shell line for machines without flashdata: its options are udevadm's. */
const withoutUdevLine = (text: string) => text.replace(/echo '.*udevadm trigger/, '')

describe("each page's hints (web/hints.ts, station/page/hints.ts)", () => {
  it('name no command-line option for any code and any of its facts, where the CLI often does', () => {
    let cliOptions = 0
    for (const code of ERROR_CODES) {
      for (const details of VARIANTS) {
        const error = new FlashdataError(code, 'x', { details: details as never })
        expect(withoutUdevLine(pageHint(error)), `${code} ${JSON.stringify(details)}`).not.toMatch(OPTION)
        if (OPTION.test(cliHint(error))) cliOptions++
      }
      expect(stationHint(code), code).not.toMatch(OPTION)
    }
    // The check can fail: the same test finds options in the CLI's words.
    expect(cliOptions).toBeGreaterThan(10)
  })

  it("word a folder too large from the format's own sizes, in both hosts", () => {
    const tooLarge = new FlashdataError('IMAGE_TOO_LARGE', 'x', {
      details: { over: 10, largest: [{ name: 'big.bin', size: 140_000 }] },
    })
    for (const hint of [cliHint(tooLarge), pageHint(tooLarge)]) {
      expect(hint).toContain(`each file also takes ${ENTRY_SIZE} bytes of the table`)
      expect(hint).toContain('Largest: big.bin (140,000 bytes).')
    }
  })

  it('tell a board holding data flashdata did not write to keep a copy with Read', () => {
    const foreign = new FlashdataError('FOREIGN_DATA', 'x', {
      details: { serial: 'e00f', contents: { kind: 'unknown' } },
    })
    expect(pageHint(foreign)).toContain('Press Read')
    expect(cliHint(foreign)).toContain('--force')
  })
})
