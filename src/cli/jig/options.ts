import { resolve } from 'node:path'
import type { StationSettings } from '../../provision/setting-rules.js'
import type { DeviceCliOptions } from '../device-options.js'
import type { BuildCliOptions } from '../options.js'
import { provisionSettings, type ProvisionCliOptions } from '../provision-options.js'

export interface JigCliOptions extends DeviceCliOptions, BuildCliOptions, ProvisionCliOptions {
  job?: string
  count?: number
  timeout?: number
  log?: string
  junit?: string
  csv?: string
  slots?: string
  station?: string
  foreign?: 'fail' | 'backup-and-overwrite'
  force?: boolean
  dfuTimeout: number
  ui?: number | true
  uiHost?: string
}

/** The station page's port when --ui is given without one (flashdata web's is 8000). */
export const DEFAULT_UI_PORT = 8001

const abs = (path: string | undefined) => (path === undefined ? undefined : resolve(path))

/** The station's settings given on the command line (they override a job file's). */
export function flagSettings(input: string | undefined, options: JigCliOptions): StationSettings {
  return {
    ...provisionSettings(options),
    folder: abs(input),
    count: options.count,
    timeout: options.timeout,
    log: abs(options.log),
    junit: abs(options.junit),
    csv: abs(options.csv),
    slots: abs(options.slots),
    station: options.station,
    foreign: options.foreign,
    nulTerminate: options.nulTerminate,
  }
}
