import type { DfuseDevice } from '../dfu/dfuse.js'
import { HEADER_SIZE, MAGIC, readHeader } from '../image/format.js'
import type { PhaseTracker } from './events.js'
import { DATA_SECTOR_SIZE } from './target.js'

/**
 * Reads what the sector holds: the header first, then as many bytes as it
 * says (or the whole sector when raw, or when the header is not an image's,
 * so a half-written or blank sector can be diagnosed). At least `atLeast`
 * bytes are read, so a caller can compare with an expected image.
 */
export async function readSectorImage(
  dfu: DfuseDevice,
  address: number,
  tracker: PhaseTracker,
  options: { raw?: boolean; atLeast?: number } = {},
): Promise<Uint8Array> {
  return tracker.run(
    'read',
    undefined,
    async (progress) => {
      const header = await dfu.read(address, HEADER_SIZE)
      const { magic, totalSize } = readHeader(header)
      const plausible = magic === MAGIC && totalSize >= HEADER_SIZE && totalSize <= DATA_SECTOR_SIZE
      const length =
        options.raw || !plausible
          ? DATA_SECTOR_SIZE
          : Math.max(totalSize, Math.min(options.atLeast ?? 0, DATA_SECTOR_SIZE))
      const out = new Uint8Array(length)
      out.set(header)
      if (length > HEADER_SIZE)
        out.set(
          await dfu.read(address + HEADER_SIZE, length - HEADER_SIZE, (done) => progress(HEADER_SIZE + done, length)),
          HEADER_SIZE,
        )
      return out
    },
    () => ({}),
  )
}
