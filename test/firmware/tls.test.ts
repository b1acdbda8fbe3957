import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { Harness, MBEDTLS_LIBS, Res, hasMbedtls, hasOpenssl } from './harness.js'
if (!hasMbedtls || !hasOpenssl)
  console.warn(
    'test/firmware: libmbedtls-dev or openssl is missing, so the mbedTLS tests are skipped; .ci/run installs them.',
  )

const SUBJECT = 'CN=flashdata test device'

/** A CA, a device certificate it signs, the device's key, and the certificate again in DER. */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca-key.pem')
  ssl(
    'req',
    '-x509',
    '-new',
    '-key',
    'ca-key.pem',
    '-subj',
    '/CN=flashdata test CA',
    '-days',
    '3650',
    '-out',
    'certs/ca.pem',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  )
  ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'certs/device-key.pem')
  ssl('req', '-new', '-key', 'certs/device-key.pem', '-subj', `/${SUBJECT}`, '-out', 'device.csr')
  ssl(
    'x509',
    '-req',
    '-in',
    'device.csr',
    '-CA',
    'certs/ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-set_serial',
    '2',
    '-days',
    '365',
    '-out',
    'certs/device.pem',
  )
  ssl('x509', '-in', 'certs/device.pem', '-outform', 'DER', '-out', 'certs/device.der')
}

interface Step {
  event: string
  name: string
  res: number
  length: number
  inSlot: boolean
  parse: number
}

function report(stdout: string) {
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  const step = (event: string, name: string) => lines.find((l) => l.event === event && l.name === name) as Step
  return { loaded: lines.find((l) => l.event === 'loaded'), chain: lines.find((l) => l.event === 'chain'), step }
}

describe.skipIf(!hasMbedtls || !hasOpenssl)(
  'certificates stored by flashdata build, parsed in place by mbedTLS',
  () => {
    let dir: string
    let check: Harness
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'flashdata-tls-'))
      await mkdir(join(dir, 'data', 'certs'), { recursive: true })
      makeCertificates(join(dir, 'data'))
      check = await Harness.build(64, 'tls-check.cpp', MBEDTLS_LIBS)
    }, 120_000)
    afterAll(async () => {
      await check?.dispose()
      await rm(dir, { recursive: true, force: true })
    })

    let images = 0
    /** Builds data/certs (stored as certs/...) with the CLI, as a user would. */
    async function image(...options: string[]): Promise<Uint8Array> {
      const out = join(dir, `image-${images++}.bin`)
      const built = await runCli([
        'build',
        join(dir, 'data'),
        '-o',
        out,
        '--epoch',
        '1700000000',
        '--exclude',
        '*.csr',
        '--exclude',
        'ca-key.pem',
        ...options,
      ])
      expect(built.code, built.stderr).toBe(0)
      return new Uint8Array(await readFile(out))
    }

    it('parses the CA, the device certificate, its key and the DER copy from flash, and the chain verifies', async () => {
      const run = await check.exec(await image('--nul-terminate', '*.pem'))
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
      const { loaded, chain, step } = report(run.stdout)
      expect(loaded.crc).toBe(Res.NO_ERROR)
      const pemLength = async (name: string) => (await readFile(join(dir, 'data', name))).length
      for (const name of ['certs/ca.pem', 'certs/device.pem']) {
        expect(step('pem', name)).toEqual({
          event: 'pem',
          name,
          res: Res.NO_ERROR,
          length: (await pemLength(name)) + 1,
          inSlot: true,
          parse: 0,
        })
      }
      expect(step('key', 'certs/device-key.pem')).toMatchObject({
        res: Res.NO_ERROR,
        length: (await pemLength('certs/device-key.pem')) + 1,
        inSlot: true,
        parse: 0,
      })
      expect(step('der', 'certs/device.der')).toMatchObject({
        res: Res.NO_ERROR,
        length: await pemLength('certs/device.der'),
        inSlot: true,
        parse: 0,
      })
      expect(chain).toEqual({
        event: 'chain',
        verify: 0,
        flags: 0,
        keyMatchesCert: 0,
        derIsDeviceCert: true,
        subject: SUBJECT,
      })
      // The entry's own length has no NUL in it, and mbedTLS refuses the PEM so.
      expect(step('pem-without-nul', 'certs/ca.pem').parse).not.toBe(0)
    }, 60_000)

    it('reports NOT_TERMINATED for PEM stored without --nul-terminate, and DER still parses', async () => {
      const run = await check.exec(await image())
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
      const { step, chain } = report(run.stdout)
      expect(step('pem', 'certs/ca.pem')).toMatchObject({ res: Res.NOT_TERMINATED })
      expect(step('key', 'certs/device-key.pem')).toMatchObject({ res: Res.NOT_TERMINATED })
      expect(step('der', 'certs/device.der')).toMatchObject({ res: Res.NO_ERROR, parse: 0 })
      expect(chain.verify).not.toBe(0)
    }, 60_000)

    it('rejects a chain whose CA did not sign the device certificate', async () => {
      const other = join(dir, 'other')
      await mkdir(join(other, 'certs'), { recursive: true })
      makeCertificates(other)
      // The device certificate and key of one CA, the CA certificate of another.
      await writeFile(join(dir, 'data', 'certs', 'ca.pem'), await readFile(join(other, 'certs', 'ca.pem')))
      const run = await check.exec(await image('--nul-terminate', '*.pem'))
      expect(run.code).toBe(0)
      const { step, chain } = report(run.stdout)
      expect(step('pem', 'certs/ca.pem').parse).toBe(0)
      expect(chain.verify).not.toBe(0)
      expect(chain.flags).not.toBe(0)
    }, 60_000)
  },
)
