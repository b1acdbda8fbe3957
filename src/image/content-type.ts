import { CONTENT_TYPES } from './content-types.js'

/** Files the original packer typed as text although they have no extension. */
const PLAIN_TEXT_NAMES = new Set(['LICENSE', 'README'])

/**
 * The content type the original packer gives a file, from its base name:
 * mime-types' lookup (the text after the last dot, or the whole name when it
 * has none, lowercased) over the same table, without its `path` dependency.
 */
export function contentTypeFor(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1)
  if (PLAIN_TEXT_NAMES.has(base)) return 'text/plain'
  const extension = base.slice(base.lastIndexOf('.') + 1).toLowerCase()
  return Object.hasOwn(CONTENT_TYPES, extension) ? CONTENT_TYPES[extension] : 'application/octet-stream'
}
