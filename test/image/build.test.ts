import { describe, expect, it } from 'vitest'
import { buildImage, FlashdataError, parseImage, SECTOR_SIZE, type ImageFileInput } from 'flashdata'

const file = (name: string, size = 1, mtime = 0): ImageFileInput => ({
  name,
  data: new Uint8Array(size).fill(0x41),
  mtime,
})

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    if (error instanceof FlashdataError) return error.code
    throw error
  }
  return undefined
}

describe('buildImage', () => {
  it('sorts entries by name in UTF-8 byte order, whatever the input order', () => {
    const image = buildImage([file('b'), file('Z'), file('é'), file('a/b'), file('a.c')], { epoch: 0 })
    expect(parseImage(image).files.map((f) => f.name)).toEqual(['Z', 'a.c', 'a/b', 'b', 'é'])
  })

  it('is deterministic: the same files and epoch give the same bytes', () => {
    const files = [file('x', 10, 5), file('y', 20, 6)]
    expect(buildImage(files, { epoch: 42 })).toEqual(buildImage([...files].reverse(), { epoch: 42 }))
    expect(buildImage(files, { epoch: 42 })).not.toEqual(buildImage(files, { epoch: 43 }))
  })

  it('accepts a 31-byte UTF-8 name and refuses 32 bytes, counting bytes not characters', () => {
    expect(codeOf(() => buildImage([file('a'.repeat(31))], { epoch: 0 }))).toBeUndefined()
    expect(codeOf(() => buildImage([file('a'.repeat(32))], { epoch: 0 }))).toBe('NAME_TOO_LONG')
    // 16 two-byte characters: 16 characters but 32 bytes.
    expect(codeOf(() => buildImage([file('é'.repeat(16))], { epoch: 0 }))).toBe('NAME_TOO_LONG')
  })

  it('names the file and the numbers when a name is too long', () => {
    try {
      buildImage([file('certs/a-very-long-certificate-name.pem')], { epoch: 0 })
      expect.unreachable()
    } catch (error) {
      expect((error as FlashdataError).message).toContain('certs/a-very-long-certificate-name.pem')
      expect((error as FlashdataError).message).toContain('38 bytes')
    }
  })

  it('refuses empty, absolute and dot-dot names, backslashes and control characters', () => {
    for (const name of [
      '',
      '/etc/x',
      'a/../b',
      './a',
      'a//b',
      'nul\0x',
      'a\\b.txt',
      'line\nbreak',
      'esc\x1b[2J',
      'rtl\u202etxt.exe',
    ]) {
      expect(
        codeOf(() => buildImage([file(name)], { epoch: 0 })),
        JSON.stringify(name),
      ).toBe('NAME_INVALID')
    }
  })

  it('refuses a name that is also the folder of another, and packs Unicode twins (parse warns about them)', () => {
    expect(codeOf(() => buildImage([file('a'), file('a/b')], { epoch: 0 }))).toBe('NAME_INVALID')
    const twins = parseImage(buildImage([file('\u00e9.txt'), file('e\u0301.txt')], { epoch: 0 }))
    expect(twins.valid).toBe(true)
    expect(twins.problems.map((p) => [p.code, p.severity])).toEqual([['name-twins', 'warning']])
  })

  it('refuses a content type over 31 bytes', () => {
    const long = { ...file('x'), contentType: 'application/vnd.example-too-long-type' }
    expect(codeOf(() => buildImage([long], { epoch: 0 }))).toBe('CONTENT_TYPE_TOO_LONG')
  })

  it('refuses duplicate names', () => {
    expect(codeOf(() => buildImage([file('a'), file('b'), file('a')], { epoch: 0 }))).toBe('DUPLICATE_NAME')
  })

  it('refuses an empty file list', () => {
    expect(codeOf(() => buildImage([], { epoch: 0 }))).toBe('INPUT_EMPTY')
  })

  it('fills the sector exactly and refuses one byte more, saying by how much and listing the largest files', () => {
    const overhead = 48 + 2 * 80
    expect(buildImage([file('big', SECTOR_SIZE - overhead - 10), file('small', 10)], { epoch: 0 }).length).toBe(
      SECTOR_SIZE,
    )
    try {
      buildImage([file('big', SECTOR_SIZE - overhead - 10), file('small', 11)], { epoch: 0 })
      expect.unreachable()
    } catch (error) {
      const e = error as FlashdataError<'IMAGE_TOO_LARGE'>
      expect(e.code).toBe('IMAGE_TOO_LARGE')
      expect(e.message).toContain('1 byte over')
      expect(e.details?.largest?.[0]).toEqual({ name: 'big', size: 130_854 })
      expect(e.details?.over).toBe(1)
    }
  })

  it('counts alignment padding against the sector size', () => {
    const files = [file('a', SECTOR_SIZE / 2 - 200), file('b', SECTOR_SIZE / 2 - 200)]
    expect(codeOf(() => buildImage(files, { epoch: 0 }))).toBeUndefined()
    expect(codeOf(() => buildImage(files, { epoch: 0, align: 4096 }))).toBe('IMAGE_TOO_LARGE')
  })

  it('refuses alignments and epochs that do not fit', () => {
    expect(codeOf(() => buildImage([file('a')], { epoch: 0, align: 0 }))).toBe('BAD_OPTION')
    expect(codeOf(() => buildImage([file('a')], { epoch: -1 }))).toBe('BAD_OPTION')
    expect(codeOf(() => buildImage([file('a')], { epoch: 2 ** 32 }))).toBe('BAD_OPTION')
  })

  it('stores empty files with a zero length', () => {
    const listing = parseImage(buildImage([file('empty', 0), file('one', 1)], { epoch: 0 }))
    expect(listing.valid).toBe(true)
    expect(listing.files.map((f) => [f.name, f.length])).toEqual([
      ['empty', 0],
      ['one', 1],
    ])
  })
})
