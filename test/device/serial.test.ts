import { describe, expect, it } from 'vitest'
import { describeBoards, EmulatedElectron, shownSerial, surveyBoards, toBoardSerial } from 'flashdata'
import { GOOD_SERIALS, HOSTILE_SERIALS } from '../helpers/hostile-serials.js'

describe('the USB serial rule', () => {
  it('takes the serials real boards report, in lower case', () => {
    for (const serial of GOOD_SERIALS) expect(toBoardSerial(serial), serial).toBe(serial.toLowerCase())
  })

  for (const [what, serial] of Object.entries(HOSTILE_SERIALS)) {
    it(`refuses ${what}, and shows it with no separator, dot, control, non-ASCII or bidi character`, () => {
      expect(toBoardSerial(serial)).toBeUndefined()
      const board = new EmulatedElectron({ serialNumber: serial, mode: 'dfu' })
      expect(board.device!.serialNumber).toBe(serial) // the emulator reports it exactly
      const { boards, refused } = surveyBoards([board.device!])
      expect(boards).toEqual([])
      expect(describeBoards([board.device!])).toEqual([])
      expect(refused).toHaveLength(1)
      expect(refused[0].error).toMatchObject({ code: 'DEVICE_SERIAL_INVALID', exitCode: 7 })
      const shown = refused[0].info.serial
      expect(shown).toBe(shownSerial(serial))
      expect(shown).toMatch(/^[\x21-\x7e]+$/)
      expect(shown).not.toMatch(/[/.]/)
      expect(shown.length).toBeLessThan(64 * 8 + 30)
      board.close()
    })
  }
})
