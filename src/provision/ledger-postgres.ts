import { FlashdataError } from '../errors.js'
import type { Ledger } from './ledger.js'
import type { Pool } from './pool.js'

export async function openPostgresLedger(location: string, _pool: Pool, _station?: string): Promise<Ledger> {
  throw new FlashdataError('LEDGER_FAILED', `PostgreSQL ledgers are not available in this build (${location.replace(/\/\/[^@]*@/, '//')}).`)
}
