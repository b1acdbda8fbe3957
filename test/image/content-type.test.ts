// contentTypeFor: the packer's content types, from a generated table, are mime-types' own for every name.
import mime from 'mime-types'
import { describe, expect, it } from 'vitest'
import { contentTypeFor } from '../../src/image/content-type.js'
import { CONTENT_TYPES } from '../../src/image/content-types.js'

const viaMimeTypes = (name: string) => mime.lookup(name) || 'application/octet-stream'

describe('contentTypeFor', () => {
  it("holds mime-types' table exactly (run scripts/content-types.js after upgrading mime-types)", () => {
    expect({ ...CONTENT_TYPES }).toEqual({ ...mime.types })
  })

  it("gives mime-types' type for every extension, in any case, with or without a folder", () => {
    for (const ext of Object.keys(mime.types)) {
      for (const name of [`file.${ext}`, `dir/a.b.${ext.toUpperCase()}`, ext, `.${ext}`]) {
        expect(contentTypeFor(name), name).toBe(viaMimeTypes(name.slice(name.lastIndexOf('/') + 1)))
      }
    }
  })

  it('agrees with mime-types on names without a usable extension', () => {
    for (const name of [
      '',
      'a.',
      '...',
      'noext',
      'constructor',
      '__proto__',
      'toString',
      'a.hasOwnProperty',
      'x.tar.gz',
      'Makefile',
    ]) {
      expect(contentTypeFor(name), name).toBe(viaMimeTypes(name))
    }
    expect(contentTypeFor('docs/LICENSE')).toBe('text/plain')
  })
})
