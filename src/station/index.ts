/** The station page of `flashdata jig --ui`: the station's state and the server that shows it. */
import { serveStation, type StationServer } from './server.js'
import { Station } from './station.js'
import type { Control, StationJob } from './state.js'

export type { Control, StationJob } from './state.js'

export interface StationPage {
  station: Station
  server: StationServer
  close(): Promise<void>
}

/** Starts the page's server; `exposed` (--ui-host) makes all but the page's own files need a token. */
export async function openStationPage(options: {
  host: string
  port: number
  exposed: boolean
  job: StationJob
  onControl: (control: Control) => void
}): Promise<StationPage> {
  const station = new Station(options.job, options.onControl)
  const server = await serveStation(station, { host: options.host, port: options.port, exposed: options.exposed })
  return { station, server, close: () => server.close() }
}
