/**
 * Every erase, write and read a job will do, decided before the first USB
 * request and checked then against the target sector and the input: a job
 * that cannot finish never starts. Once the board's memory layout is known,
 * the driver's guard checks the same plan again (checkPlan) before the first
 * erase, and every request once more as it is sent.
 */
import { FlashdataError } from '../errors.js'
import type { AddressRange, PlannedOperation } from '../dfu/guard.js'
import { describeRange } from '../dfu/layout.js'
import { bytes, formatBytes } from '../text.js'
import { DATA_SECTOR_SIZE, targetRange } from './target.js'

/** The note for an image file that carries 0xFF padding after its end (push and the jig). */
export const paddingNote = (padding: number, imageLength: number) =>
  `The image is followed by ${bytes(padding)} of 0xFF padding; only its ${bytes(imageLength)} are written.`

export interface JobPlan {
  target: AddressRange
  operations: PlannedOperation[]
}

function checkTarget(target: AddressRange): void {
  if (target.end > 2 ** 32) {
    throw new FlashdataError(
      'BAD_OPTION',
      `The 128 KiB target ${describeRange(target.start, target.end)} runs past the end of the 32-bit address space.`,
      {
        details: { option: '--address', target },
      },
    )
  }
}

/** push: the reads (compare, foreign-data backup, verify), the erase of the pages under the image, and the write. */
export function planPush(imageLength: number, address?: number): JobPlan {
  const target = targetRange(address)
  checkTarget(target)
  if (imageLength > DATA_SECTOR_SIZE) {
    throw new FlashdataError(
      'IMAGE_TOO_LARGE',
      `The image is ${bytes(imageLength)}, ${formatBytes(imageLength - DATA_SECTOR_SIZE)} more than the ${formatBytes(DATA_SECTOR_SIZE)}-byte sector ${describeRange(target.start, target.end)} holds; nothing was sent to the board.`,
      {
        details: { imageLength, target },
      },
    )
  }
  const span = { start: target.start, end: target.start + imageLength }
  // The compare reads the image's length, or the whole sector (kept for a backup) when it holds no flashdata image.
  return {
    target,
    operations: [
      { op: 'read', ...target },
      { op: 'erase', ...span },
      { op: 'write', ...span },
    ],
  }
}

/** verify and pull: reads inside the target sector, at most all of it. */
export function planRead(address?: number): JobPlan {
  const target = targetRange(address)
  checkTarget(target)
  return { target, operations: [{ op: 'read', ...target }] }
}
