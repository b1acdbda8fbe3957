import { createRequire } from 'node:module'

/** flashdata's version, from package.json (two folders up both from dist/cli/ and from the bundle in dist/bundle/). */
export const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }
