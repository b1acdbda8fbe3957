import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEVICE_MODES } from '../../src/device/firmware.js'
import { ERROR_CODES, exitCodeOf } from '../../src/errors.js'
import { EVENT_TYPES, PHASES } from '../../src/jobs/events.js'
import { REPO } from '../helpers/cli.js'
import type { SchemaNode } from '../helpers/schema-facets.js'
import { validateLine } from '../helpers/schema.js'

const schema = JSON.parse(readFileSync(join(REPO, 'src/jobs/events.schema.json'), 'utf8')) as {
  $defs: Record<string, SchemaNode & { enum?: string[] }>
}
const defs = Object.keys(schema.$defs)

/** Every object in the schema that lists properties, by its path, with whether it refuses others. */
function objects(node: SchemaNode, path: string, out: [string, unknown][] = []): [string, unknown][] {
  if (node.properties) out.push([path, node.additionalProperties])
  for (const [key, child] of Object.entries(node.properties ?? {})) objects(child, `${path}.${key}`, out)
  for (const [i, branch] of (node.oneOf ?? []).entries()) objects(branch, `${path}|${i}`, out)
  if (node.items) objects(node.items, `${path}[]`, out)
  if (typeof node.additionalProperties === 'object') objects(node.additionalProperties, `${path}.*`, out)
  return out
}

const phaseEnd = { type: 'phase-end', phase: 'write', serial: 'aa', elapsedMs: 5, time: '2026-01-01T00:00:00.000Z' }
const jig = {
  type: 'result',
  command: 'jig',
  boards: 1,
  attempts: 1,
  flashed: 1,
  unchanged: 0,
  failed: 0,
  averageMs: 10,
  stoppedBy: 'count',
}

/** The first cell of each row of the docs/output.md table whose header row starts with `header`, without backticks. */
function documentedColumn(header: string): string[] {
  const output = readFileSync(join(REPO, 'docs/output.md'), 'utf8')
  const table = output.split(`\n| ${header} |`)[1]?.split('\n\n')[0] ?? ''
  return table
    .split('\n')
    .slice(2)
    .map((row) => row.split('|')[1].trim().replace(/`/g, ''))
}

describe('events.schema.json', () => {
  it('accepts the lines the CLI prints and refuses ones outside the contract', () => {
    expect(validateLine(phaseEnd)).toBe(true)
    expect(validateLine(jig)).toBe(true)
    expect(
      validateLine({ type: 'error', exitCode: 5, code: 'NO_DEVICE', message: 'No board.', hint: 'Plug one in.' }),
    ).toBe(true)
    const refused = [
      { ...phaseEnd, type: undefined }, // no type
      { ...phaseEnd, type: 'phase-ended' }, // a type the schema does not know
      { ...phaseEnd, extra: 1 }, // a field the schema does not know
      { ...phaseEnd, phase: 'flash' }, // not a phase
      { ...phaseEnd, time: undefined }, // events carry their time
      { ...jig, command: 'summary' }, // a result names a known command
      { ...jig, stoppedBy: 'done' },
      { type: 'error', exitCode: 5, code: 'NOT_A_CODE', message: 'x', hint: 'y' },
      { type: 'board-attached', serial: 'aa', mode: 'bootloader', platform: 'electron', time: phaseEnd.time },
    ]
    for (const line of refused) expect(validateLine(JSON.parse(JSON.stringify(line))), JSON.stringify(line)).toBe(false)
  })

  it('lists the phases of the jobs', () => {
    expect(schema.$defs.phase.enum).toEqual([...PHASES])
  })

  it('refuses a property it does not list, in every object that lists its properties', () => {
    const open = Object.entries(schema.$defs)
      .flatMap(([name, def]) => objects(def, name))
      .filter(([, additional]) => additional !== false)
    expect(open).toEqual([])
  })

  it("lists exactly the error lines' exit codes (those of ERROR_CODES) and Device OS's modes (DEVICE_MODES)", () => {
    const error = schema.$defs.error.properties!.exitCode as { enum: number[] }
    expect(error.enum).toEqual([...new Set(ERROR_CODES.map(exitCodeOf))].sort((a, b) => a - b))
    const devices = schema.$defs['result:devices'].properties!.boards.items!.properties!.deviceOsMode as {
      enum: string[]
    }
    expect(devices.enum).toEqual([...DEVICE_MODES])
  })

  it('lists exactly the event types of the TypeScript union (JobEvent)', () => {
    const types = defs.filter((d) => d.startsWith('event:')).map((d) => d.slice('event:'.length))
    expect(types.sort()).toEqual([...EVENT_TYPES].sort())
  })

  it("docs/output.md's machine output section lists exactly the schema's line types and result commands", () => {
    const types = defs.filter((d) => d.startsWith('event:')).map((d) => d.slice('event:'.length))
    const commands = defs.filter((d) => d.startsWith('result:')).map((d) => d.slice('result:'.length))
    expect(documentedColumn('type').sort()).toEqual([...types, 'result', 'error'].sort())
    expect(documentedColumn('result `command`').sort()).toEqual(commands.sort())
  })
})
