import { readFile, stat } from 'node:fs/promises'
import { FlashdataError } from '../errors.js'
import type { BoardInfo } from '../device/board.js'
import { requireBoardSerial } from '../device/serial.js'
import { collectFiles, unmatchedExcludeWarning } from '../files/collect.js'
import { packFiles, type BuildFromPathsOptions } from '../files/build.js'
import type { ImageFileInput } from '../image/build.js'
import type { ProvisionFacts } from '../jobs/events.js'
import type { BoardPlan } from '../jobs/jig/options.js'
import { runGenerator } from './generate.js'
import type { Ledger } from './ledger.js'
import { overlay, perBoardLayer } from './overlay.js'
import type { PoolRow } from './pool.js'

export interface ProvisionConfig extends BuildFromPathsOptions {
  /** The common folder every board gets. */
  folder: string
  /** Files in `<perBoard>/<serial>/` are added to (or replace) the common ones. */
  perBoard?: string
  /** A board without a per-board folder gets the common files only, instead of failing. */
  perBoardOptional?: boolean
  /** Hands out pool rows; its files are added after the per-board folder's. */
  ledger?: Ledger
  /** A shell command run per board; the files it writes are added last. */
  generate?: string
  generateTimeoutMs?: number
  /** Keep the generator's output (its last 4 KiB) in the records; by default they keep none (it may hold keys). */
  generateKeepOutput?: boolean
  /** Where the generator runs (the job file's folder). */
  generateCwd?: string
}

export interface Provisioner {
  prepare(board: BoardInfo): Promise<BoardPlan>
}

/** True when any per-board source is configured (else one common image serves every board). */
export function isPerBoard(config: Partial<ProvisionConfig>): boolean {
  return Boolean(config.perBoard || config.ledger || config.generate)
}

async function rowFiles(row: PoolRow): Promise<ImageFileInput[]> {
  return Promise.all(
    row.files.map(async (f) => {
      const [data, info] = await Promise.all([readFile(f.path), stat(f.path)]).catch((error: Error) => {
        throw new FlashdataError(
          'INPUT_UNREADABLE',
          `Cannot read "${f.path}" (pool row ${row.row}, ${f.name}): ${error.message}`,
          { details: { path: f.path, row: row.row } },
        )
      })
      return {
        name: f.name,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        mtime: Math.floor(info.mtimeMs / 1000),
      }
    }),
  )
}

/**
 * Builds each board's own image from its serial: the common folder (read
 * once), then its per-board folder, its pool row and the generator's files,
 * later ones replacing same-named earlier ones. Every check (missing folder,
 * size, names) happens here, before any traffic to the board; a pool row is
 * reserved only once the image with it has been built.
 */
export async function openProvisioner(config: ProvisionConfig): Promise<Provisioner> {
  const info = await stat(config.folder).catch(() => undefined)
  if (!info?.isDirectory()) {
    throw new FlashdataError(
      'INPUT_NOT_DIRECTORY',
      `"${config.folder}" is not a folder: per-board data is added to a folder of common files, not to an image.`,
      {
        details: { path: config.folder, what: 'common-folder' },
      },
    )
  }
  const common = await collectFiles([config.folder], { exclude: config.exclude, includeVcs: config.includeVcs })
  // One header-time rule with every other command, over the board's whole set of files.
  const build = (layers: ImageFileInput[][]): Uint8Array => packFiles(overlay(layers), config).image

  return {
    async prepare(board) {
      // Checked again here: a caller may hand the library any string.
      const serial = requireBoardSerial(board.serial)
      const facts: ProvisionFacts = {}
      const layers: ImageFileInput[][] = [common.files]
      const skipped = [...common.skipped]
      const warnings = [...common.warnings]
      let unmatched = common.unmatchedExcludes
      if (config.perBoard) {
        const own = await perBoardLayer(config.perBoard, serial, {
          optional: config.perBoardOptional,
          exclude: config.exclude,
          includeVcs: config.includeVcs,
        })
        if (own) {
          layers.push(own.files)
          facts.overlay = { folder: own.source, files: own.files.map((f) => f.name) }
          skipped.push(...own.skipped)
          warnings.push(...own.warnings)
          unmatched = unmatched.filter((p) => own.unmatchedExcludes.includes(p))
        }
      }
      // Nothing is left out unreported: the common folder's skips and the board's own. A pattern
      // is unmatched only if it matched in neither folder; each note is given once.
      const patternNotes = new Set((config.exclude ?? []).map(unmatchedExcludeWarning))
      const notes = [
        ...new Set(warnings.filter((w) => !patternNotes.has(w))),
        ...unmatched.map(unmatchedExcludeWarning),
      ]
      if (skipped.length) facts.skipped = skipped
      if (notes.length) facts.warnings = notes
      let generated: ImageFileInput[] = []
      if (config.generate) {
        const g = await runGenerator(config.generate, serial, {
          timeoutMs: config.generateTimeoutMs,
          cwd: config.generateCwd,
          env: config.env,
          keepOutput: config.generateKeepOutput,
        })
        generated = g.files
        facts.generated = {
          files: g.files.map((f) => f.name),
          exitCode: g.exitCode,
          ...(config.generateKeepOutput ? { output: g.output } : {}),
          durationMs: g.durationMs,
        }
      }
      if (!config.ledger) return { image: build([...layers, generated]), provision: facts }
      const ledger = config.ledger
      const {
        row,
        reused,
        value: image,
      } = await ledger.reserve(serial, async (row) => build([...layers, await rowFiles(row), generated]))
      facts.pool = { row: row.row, files: row.files.map((f) => f.name), reused }
      return { image, provision: facts, commit: () => ledger.commit(serial, row.row) }
    },
  }
}
