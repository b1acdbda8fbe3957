import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  buildImage,
  EmulatedElectron,
  EmulatedUsb,
  openFlashFile,
  parseImage,
  push,
  runJig,
  shownSerial,
  type BoardInfo,
  type BoardSerial,
  type UsbDeviceLike,
} from 'flashdata'
import { sectorBackup } from '../../src/provision/backup.js'
import { openProvisioner } from '../../src/provision/provisioner.js'
import { junitXml, summaryCsv } from '../../src/provision/reports.js'
import { DATA_SECTOR_ADDRESS, flashOps } from '../helpers/emulator.js'
import { writeTree } from '../helpers/files.js'
import { mapDevices } from '../helpers/flaky-bus.js'
import { HOSTILE_SERIALS, SMUGGLED } from '../helpers/hostile-serials.js'
import { factoryModule, writeFlashFileAt } from '../helpers/particle-module.js'
import { tempDir } from '../helpers/tmp.js'

const GOOD = 'e00fce68a1b2c3d4e5f60718'
const text = new TextDecoder()

/**
 * A station folder: common files, per-board folders (the good board's), a
 * key beside them that a serial of "../loot" would reach, and a generator
 * that notes every serial it runs for.
 */
async function stationDir(): Promise<string> {
  const dir = await tempDir()
  await writeTree(join(dir, 'common'), { 'ca.pem': 'CA' })
  await writeTree(join(dir, 'boards', GOOD), { 'own.txt': 'good' })
  await writeTree(join(dir, 'loot'), { id_rsa: 'PRIVATE KEY' })
  await writeTree(join(dir, 'boards', 'loot'), { id_rsa: 'PRIVATE KEY' })
  await mkdir(join(dir, 'backups'))
  return dir
}

const GENERATE = 'printf "%s\\n" "$FLASHDATA_SERIAL" >> ran.log; printf x > "$FLASHDATA_OUT/gen.txt"'

/** Boards holding a Particle factory module in sector 9, so a foreign-data backup would be written for each. */
async function foreignBoard(dir: string, name: string, serialNumber: string): Promise<EmulatedElectron> {
  const file = join(dir, `${name}.bin`)
  await writeFlashFileAt(file, DATA_SECTOR_ADDRESS, factoryModule())
  return new EmulatedElectron({ serialNumber, flash: openFlashFile(file), timing: 'instant', mode: 'dfu' })
}

/** The bus, with every call made to a device's methods noted by the serial it reports. */
function watchedBus(bus: EmulatedUsb): { bus: ReturnType<typeof mapDevices>; calls: Map<string, string[]> } {
  const calls = new Map<string, string[]>()
  const watched = mapDevices(
    bus,
    (device) =>
      new Proxy(device, {
        get(target, property) {
          const value = Reflect.get(target, property, target)
          if (typeof value !== 'function') return value
          return (...args: unknown[]) => {
            const key = target.serialNumber ?? ''
            calls.set(key, [...(calls.get(key) ?? []), String(property)])
            return (value as (...a: unknown[]) => unknown).apply(target, args)
          }
        },
      }) as UsbDeviceLike,
  )
  return { bus: watched, calls }
}

describe('a board whose USB serial is not letters and digits (library)', () => {
  it('runJig with openProvisioner fails each such board alone, before reading its files or sending it anything, and flashes the good one', async () => {
    const dir = await stationDir()
    const hostile = Object.values(HOSTILE_SERIALS)
    const boards = [
      ...(await Promise.all(hostile.map((serial, i) => foreignBoard(dir, `hostile${i}`, serial)))),
      await foreignBoard(dir, 'good', GOOD),
    ]
    const usb = new EmulatedUsb()
    for (const board of boards) usb.attach(board)
    const { bus, calls } = watchedBus(usb)
    const provisioner = await openProvisioner({
      folder: join(dir, 'common'),
      perBoard: join(dir, 'boards'),
      perBoardOptional: true,
      generate: GENERATE,
      generateCwd: dir,
    })
    const before = await readdir(dir)

    const summary = await runJig({
      bus,
      prepare: provisioner.prepare,
      onForeign: sectorBackup(join(dir, 'backups')),
      count: boards.length,
      reappearTimeoutMs: 1000,
    })

    expect(summary).toMatchObject({ boards: boards.length, flashed: 1, failed: hostile.length })
    for (const [i, serial] of hostile.entries()) {
      const record = summary.records.find((r) => r.serial === shownSerial(serial))
      expect(record, serial).toMatchObject({ outcome: 'failed', error: { code: 'DEVICE_SERIAL_INVALID' } })
      expect(record!.provision).toBeUndefined()
      expect(flashOps(boards[i]), serial).toEqual([])
      expect(calls.get(serial), serial).toBeUndefined() // not opened, not asked, not read
    }
    // Only the good board's files were read, its generator run and its sector backed up, inside --backup-dir.
    expect(await readFile(join(dir, 'ran.log'), 'utf8')).toBe(`${GOOD}\n`)
    expect(await readdir(join(dir, 'backups'))).toEqual([
      expect.stringMatching(new RegExp(`^flashdata-backup-${GOOD}-`)),
    ])
    expect((await readdir(dir)).sort()).toEqual([...before, 'ran.log'].sort())
    const sector = boards.at(-1)!.readFlash(DATA_SECTOR_ADDRESS, 131072)
    const files = parseImage(sector).files
    expect(files.map((f) => f.name).sort()).toEqual(['ca.pem', 'gen.txt', 'own.txt'])
    expect(text.decode(sector)).not.toContain('PRIVATE KEY')
    // Reports and records carry the refused serials escaped: valid XML, one CSV line each, no control or bidi character.
    const reports = [junitXml(summary.records), summaryCsv(summary.records), JSON.stringify(summary.records)].join('\n')
    expect(reports.match(SMUGGLED)?.[0]).toBeUndefined()
    expect(summaryCsv(summary.records).trim().split('\n')).toHaveLength(boards.length + 1)
    for (const board of boards) board.close()
  })

  it("openProvisioner's prepare refuses such a serial from its caller before reading a folder or running the generator", async () => {
    const dir = await stationDir()
    const provisioner = await openProvisioner({
      folder: join(dir, 'common'),
      perBoard: join(dir, 'boards'),
      generate: GENERATE,
      generateCwd: dir,
    })
    const info = { platform: 'electron', label: 'Electron', mode: 'dfu', vendorId: 0x2b04, productId: 0xd00a } as const
    for (const serial of [...Object.values(HOSTILE_SERIALS), 'LOOT/..']) {
      await expect(
        provisioner.prepare({ ...info, serial: serial as BoardSerial } satisfies BoardInfo),
        serial,
      ).rejects.toMatchObject({ code: 'DEVICE_SERIAL_INVALID', exitCode: 7 })
    }
    expect(existsSync(join(dir, 'ran.log'))).toBe(false)
    // The board named "loot" is a board like any other: its own folder, not the key beside the per-board folders.
    const plan = await provisioner.prepare({ ...info, serial: 'loot' as BoardSerial })
    expect(plan.provision?.overlay?.folder).toBe(join(dir, 'boards', 'loot'))
  })

  it('push refuses the only board there by its serial (exit class 7), untouched; beside a good board, the choice is ambiguous', async () => {
    const image = buildImage([{ name: 'a.txt', data: new Uint8Array(10).fill(1), mtime: 1 }], { epoch: 1 })
    for (const serial of Object.values(HOSTILE_SERIALS)) {
      const bad = new EmulatedElectron({ serialNumber: serial, timing: 'instant', mode: 'firmware' })
      const usb = new EmulatedUsb()
      usb.attach(bad)
      const { bus, calls } = watchedBus(usb)
      const refused = await push({ bus, image }).catch((e: unknown) => e)
      expect(refused, serial).toMatchObject({ code: 'DEVICE_SERIAL_INVALID', exitCode: 7 })
      expect(calls.size, serial).toBe(0)
      const good = new EmulatedElectron({ serialNumber: GOOD, timing: 'instant', mode: 'dfu' })
      usb.attach(good)
      await expect(push({ bus, image, waitMs: 0 })).rejects.toMatchObject({ code: 'AMBIGUOUS_DEVICE' })
      expect(await push({ bus, image, serial: GOOD })).toMatchObject({ status: 'flashed', serial: GOOD })
      expect(flashOps(bad)).toEqual([])
      expect(calls.get(serial), serial).toBeUndefined()
      bad.close()
      good.close()
    }
  })
})
