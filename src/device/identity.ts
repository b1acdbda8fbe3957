/**
 * Which board is which. A board's USB serial is its device id (the MCU's
 * unique id) in DFU mode, where the bootloader writes it, and under current
 * Device OS; older Device OS gave other serials in firmware mode (such as
 * 00000000050C), and a board's serial and device id can disagree. A board
 * running firmware whose serial is not a device id is therefore asked for
 * its device id (request 20), once per enumeration of it.
 */
import type { UsbDeviceLike } from '../usb/types.js'
import { DEVICE_ID, normalizeSerial, type Board } from './board.js'
import { openForControl } from './control.js'
import { requestDeviceId } from './firmware.js'

const asked = new WeakMap<UsbDeviceLike, Promise<string | undefined>>()

/** The device id of a board running firmware whose USB serial is not one; undefined otherwise or when it does not answer. */
function askedDeviceId(board: Board): Promise<string | undefined> {
  if (board.info.mode !== 'firmware' || DEVICE_ID.test(board.info.serial)) return Promise.resolve(undefined)
  let id = asked.get(board.device)
  if (!id) {
    id = (async () => {
      try {
        await openForControl(board.device)
        return await requestDeviceId(board.device)
      } catch {
        return undefined // busy or resetting: not this board, as far as can be told
      } finally {
        await board.device.close().catch(() => {})
      }
    })()
    asked.set(board.device, id)
  }
  return id
}

/** Whether a board on the bus is the one known by `serialOrId`: its USB serial, or the device id it reports (see above). */
export function sameBoard(serialOrId: string): (board: Board) => Promise<boolean> {
  const wanted = normalizeSerial(serialOrId)
  return async (board) => board.info.serial === wanted || (await askedDeviceId(board)) === wanted
}
