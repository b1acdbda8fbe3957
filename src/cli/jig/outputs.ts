import { open } from 'node:fs/promises'
import { FlashdataError } from '../../errors.js'
import { checkAppendFile } from '../../files/output.js'
import type { JigRecord } from '../../jobs/events.js'
import { Reports } from '../../provision/reports.js'
import type { StationSettings } from '../../provision/setting-rules.js'

/** Where each board's record goes as soon as the board is done. */
export interface StationOutputs {
  write(record: JigRecord): Promise<void>
  close(): Promise<void>
}

/** Appends one NDJSON record per board and flushes it to disk at once. */
async function openLog(path: string | undefined): Promise<StationOutputs> {
  if (!path) return { write: async () => {}, close: async () => {} }
  await checkAppendFile(path)
  const handle = await open(path, 'a').catch((error: Error) => {
    throw new FlashdataError('OUTPUT_UNWRITABLE', `Cannot open the log "${path}": ${error.message}`, {
      details: { path },
    })
  })
  return {
    write: async (record) => {
      await handle.appendFile(`${JSON.stringify(record)}\n`)
      await handle.datasync()
    },
    close: () => handle.close(),
  }
}

/** The log, then the JUnit and CSV reports (rewritten after each board): each checked before any board. */
export async function openOutputs(settings: StationSettings, station: string): Promise<StationOutputs> {
  const log = await openLog(settings.log)
  for (const report of [settings.junit, settings.csv]) if (report) await checkAppendFile(report)
  const reports = new Reports({ junit: settings.junit, csv: settings.csv }, station)
  await reports.flush() // an empty report at once: a report path that cannot be written stops the station before any board
  return {
    write: async (record) => {
      await log.write(record)
      await reports.add(record)
    },
    close: () => log.close(),
  }
}
