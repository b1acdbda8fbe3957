import mime from 'mime-types'

/** Files the original packer typed as text although they have no extension. */
const PLAIN_TEXT_NAMES = new Set(['LICENSE', 'README'])

/** The content type the original packer gives a file, from its base name. */
export function contentTypeFor(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1)
  if (PLAIN_TEXT_NAMES.has(base)) return 'text/plain'
  return mime.lookup(base) || 'application/octet-stream'
}
