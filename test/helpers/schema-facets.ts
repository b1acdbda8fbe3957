/**
 * The facets of src/jobs/events.schema.json: every property of every object
 * it describes and every enum value, each named from the $defs entry it is
 * in ("event:progress.totalBytes", 'phase = "read"', "sectorContents|3.module";
 * "|3": the fourth branch of a oneOf, "[]": an array's items, ".*": a map's
 * values). facetsOf lists what the schema names; facetsIn what one printed
 * line shows, so a test can require that every facet is printed somewhere.
 */

export interface SchemaNode {
  $ref?: string
  oneOf?: SchemaNode[]
  enum?: unknown[]
  properties?: Record<string, SchemaNode>
  additionalProperties?: boolean | SchemaNode
  propertyNames?: SchemaNode
  items?: SchemaNode
  $defs?: Record<string, SchemaNode>
}

/** Whether `value` is valid against the schema node at a JSON pointer into the schema. */
export type MatchesAt = (pointer: string, value: unknown) => boolean

// RFC 6901: "~" and "/" in a key are escaped in a JSON pointer.
const pointerKey = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1')
const defOf = (ref: string) => ref.replace(/^#\/\$defs\//, '')
const mapOf = (node: SchemaNode) =>
  typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined

/** Every facet the schema names; a $ref's facets are its def's, named once from the def. */
export function facetsOf(schema: SchemaNode): string[] {
  const out: string[] = []
  const walk = (node: SchemaNode, scope: string) => {
    for (const value of node.enum ?? []) out.push(`${scope} = ${JSON.stringify(value)}`)
    for (const [i, branch] of (node.oneOf ?? []).entries()) walk(branch, `${scope}|${i}`)
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      out.push(`${scope}.${key}`)
      walk(child, `${scope}.${key}`)
    }
    const map = mapOf(node)
    if (map) {
      out.push(`${scope}.*`)
      walk(map, `${scope}.*`)
    }
    if (node.propertyNames) walk(node.propertyNames, `${scope} key`)
    if (node.items) walk(node.items, `${scope}[]`)
  }
  for (const [name, def] of Object.entries(schema.$defs ?? {})) walk(def, name)
  return out
}

/** The facets one line valid against the schema shows. */
export function facetsIn(schema: SchemaNode, line: unknown, matches: MatchesAt): Set<string> {
  const out = new Set<string>()
  const walk = (node: SchemaNode, pointer: string, scope: string, value: unknown) => {
    if (node.$ref) {
      const name = defOf(node.$ref)
      return walk(schema.$defs![name], `/$defs/${pointerKey(name)}`, name, value)
    }
    if (node.enum) out.add(`${scope} = ${JSON.stringify(value)}`)
    for (const [i, branch] of (node.oneOf ?? []).entries())
      if (matches(`${pointer}/oneOf/${i}`, value)) walk(branch, `${pointer}/oneOf/${i}`, `${scope}|${i}`, value)
    if (Array.isArray(value)) {
      if (node.items) for (const item of value) walk(node.items, `${pointer}/items`, `${scope}[]`, item)
      return
    }
    if (typeof value !== 'object' || value === null) return
    const map = mapOf(node)
    for (const [key, child] of Object.entries(value)) {
      if (node.propertyNames) walk(node.propertyNames, `${pointer}/propertyNames`, `${scope} key`, key)
      const property = node.properties?.[key]
      if (property) {
        out.add(`${scope}.${key}`)
        walk(property, `${pointer}/properties/${pointerKey(key)}`, `${scope}.${key}`, child)
      } else if (map) {
        out.add(`${scope}.*`)
        walk(map, `${pointer}/additionalProperties`, `${scope}.*`, child)
      }
    }
  }
  walk(schema, '', '', line)
  return out
}
