/**
 * The check every test that runs the CLI applies to what it printed: each
 * JSON line is one of the shapes src/jobs/events.schema.json describes, and
 * with --json the machine stream holds nothing else and ends with a result
 * or an error. The facets of the schema the lines showed are kept
 * (shownFacets), so a test can find what the schema names that nothing prints.
 */
import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { facetsIn, type SchemaNode } from './schema-facets.js'

export const schema = JSON.parse(
  readFileSync(new URL('../../src/jobs/events.schema.json', import.meta.url), 'utf8'),
) as SchemaNode
const ajv = new Ajv2020({ allErrors: true, strict: true })
ajv.addSchema(schema, 'events')
export const validateLine = ajv.getSchema('events')!

/** Every facet of the schema (schema-facets.ts) that a line checked in this test file showed. */
export const shownFacets = new Set<string>()
const matchesAt = (pointer: string, value: unknown) => ajv.getSchema(`events#${pointer}`)!(value) as boolean

/** Throws with the line and ajv's findings when a JSON line is not in the schema. */
export function expectInSchema(value: unknown, where: string): void {
  if (validateLine(value)) {
    for (const facet of facetsIn(schema, value, matchesAt)) shownFacets.add(facet)
    return
  }
  // oneOf reports every branch; the branch of the line's own type says what is wrong.
  const type = (value as { type?: string })?.type
  const command = (value as { command?: string })?.command
  const own = validateLine.errors!.filter(
    (e) =>
      e.schemaPath.includes(`/event:${type}/`) ||
      e.schemaPath.includes(`/result:${command}/`) ||
      (type === 'error' && e.schemaPath.includes('/error/')),
  )
  const found = (own.length ? own : validateLine.errors!).map(
    (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
  )
  throw new Error(
    `${where}: a JSON line not in src/jobs/events.schema.json:\n${JSON.stringify(value)}\n${found.join('\n')}`,
  )
}

/** Every line of a text that starts with "{" parses and is in the schema. */
export function checkJsonLines(text: string, where: string): void {
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new Error(`${where}: a line that starts like JSON does not parse:\n${line}`)
    }
    expectInSchema(value, where)
  }
}

/**
 * What a finished `flashdata ... --json` printed on its machine stream
 * (standard error when standard output carries data): only JSON lines, the
 * last a result or an error.
 */
export function checkJsonStream(text: string, where: string): void {
  const lines = text.split('\n').filter((line) => line !== '')
  for (const line of lines)
    if (!line.startsWith('{')) throw new Error(`${where}: a line that is not JSON in --json output:\n${line}`)
  checkJsonLines(text, where)
  const last = lines.length ? (JSON.parse(lines.at(-1)!) as { type: string }) : undefined
  if (last?.type !== 'result' && last?.type !== 'error')
    throw new Error(
      `${where}: --json output does not end with a result or an error line:\n${lines.at(-1) ?? '(nothing)'}`,
    )
}

/** `-o -` / `--output -`: the command's data owns standard output. */
function dataOnStdout(args: string[]): boolean {
  return args.some(
    (arg, i) => arg === '--output=-' || arg === '-o-' || ((arg === '-o' || arg === '--output') && args[i + 1] === '-'),
  )
}

/**
 * The check of one finished CLI run: every JSON line on either stream is in
 * the schema; with --json (and no --help) the machine stream is all JSON and
 * ends with a result or an error. `complete: false` for a run that was killed.
 */
export function checkCliOutput(args: string[], stdout: Buffer, stderr: string, { complete = true } = {}): void {
  const where = `flashdata ${args.join(' ')}`
  const data = dataOnStdout(args)
  if (!data) checkJsonLines(stdout.toString(), `${where} (stdout)`)
  const json = args.includes('--json') && !args.includes('--help') && !args.includes('-h')
  if (json && complete) checkJsonStream(data ? stderr : stdout.toString(), `${where} (${data ? 'stderr' : 'stdout'})`)
  else checkJsonLines(stderr, `${where} (stderr)`)
}
