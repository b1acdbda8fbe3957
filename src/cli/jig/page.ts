import type { JigOptions } from '../../jobs/jig/options.js'
import type { StationSettings } from '../../provision/setting-rules.js'
import type { Control, StationJob, StationPage } from '../../station/index.js'
import type { CliIo } from '../io.js'
import { DEFAULT_UI_PORT, type JigCliOptions } from './options.js'

/** What the operator is told when the station page pauses or resumes the station. */
export function controlText(control: Exclude<Control, 'stopping'>): string {
  return control === 'paused'
    ? 'Paused from the station page: no new board is taken; the boards in progress finish.'
    : 'Resumed from the station page.'
}

/** With --ui or --ui-host: serves the station page and prints its address (with the token when exposed). */
export async function openPage(
  options: JigCliOptions,
  settings: StationSettings,
  { image, slots }: Pick<JigOptions, 'image' | 'slots'>,
  onControl: (control: Control) => void,
  io: CliIo,
): Promise<StationPage | undefined> {
  if (options.ui === undefined && options.uiHost === undefined) return undefined
  const { openStationPage } = await import('../../station/index.js')
  const { sectorImage } = await import('../../image/parse.js')
  const listing = image ? sectorImage(image).listing : undefined
  const job: StationJob = {
    station: settings.station!,
    slots,
    image:
      image && listing
        ? {
            size: listing.header!.totalSize,
            crc: listing.header!.crc,
            files: listing.files.map((f) => ({ name: f.name, length: f.length })),
          }
        : undefined,
    sources: image ? undefined : { perBoard: settings.perBoard, pool: settings.pool, generate: settings.generate },
  }
  const page = await openStationPage({
    host: options.uiHost ?? '127.0.0.1',
    port: options.ui === true || options.ui === undefined ? DEFAULT_UI_PORT : options.ui,
    exposed: options.uiHost !== undefined,
    job,
    onControl,
  })
  const token = page.server.token
    ? '  On the network: its state, controls and downloads need the token in this address (keep it to those who run the station).\n'
    : ''
  io.stderr.write(`Station page: ${page.server.url}\n${token}`)
  return page
}
