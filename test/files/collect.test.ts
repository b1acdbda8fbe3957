import { execFileSync } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImageFromPaths, collectFiles, FlashdataError, parseImage } from 'flashdata'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    if (error instanceof FlashdataError) return error.code
    throw error
  }
  return undefined
}

describe('collectFiles', () => {
  it('stores subfolder files under their relative path with "/"', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'certs/ca.pem': 'pem', 'sounds/deep/beep.wav': 'wav', 'top.txt': 'top' })
    const { files } = await collectFiles([dir])
    expect(files.map((f) => f.name).sort()).toEqual(['certs/ca.pem', 'sounds/deep/beep.wav', 'top.txt'])
  })

  it('takes files by base name and folders by relative path, as the original did with a list', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'one/a.txt': 'a', 'two/sub/b.txt': 'b' })
    const { files } = await collectFiles([join(dir, 'one', 'a.txt'), join(dir, 'two')])
    expect(files.map((f) => f.name).sort()).toEqual(['a.txt', 'sub/b.txt'])
  })

  it('skips .DS_Store, Thumbs.db and desktop.ini with a notice, and --exclude globs', async () => {
    const dir = await tempDir()
    await writeTree(dir, {
      '.DS_Store': 'x',
      'sub/Thumbs.db': 'x',
      'desktop.ini': 'x',
      'keep.txt': 'k',
      'a.tmp': 't',
      'sub/b.tmp': 't',
      'drafts/c.txt': 'c',
    })
    const { files, skipped } = await collectFiles([dir], { exclude: ['*.tmp', 'drafts/**'] })
    expect(files.map((f) => f.name)).toEqual(['keep.txt'])
    expect(skipped.map((s) => s.reason).sort()).toEqual([
      'excluded by *.tmp',
      'excluded by *.tmp',
      'excluded by drafts/**',
      'system junk file',
      'system junk file',
      'system junk file',
    ])
  })

  it('refuses a missing input, an empty folder and a folder of only junk', async () => {
    const dir = await tempDir()
    expect(await codeOf(collectFiles([join(dir, 'missing')]))).toBe('INPUT_NOT_FOUND')
    await mkdir(join(dir, 'empty'))
    expect(await codeOf(collectFiles([join(dir, 'empty')]))).toBe('INPUT_EMPTY')
    await writeTree(dir, { 'junk/.DS_Store': 'x' })
    expect(await codeOf(collectFiles([join(dir, 'junk')]))).toBe('INPUT_EMPTY')
  })

  it('refuses a special file (a named pipe) inside the folder', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'a.txt': 'a' })
    execFileSync('mkfifo', [join(dir, 'pipe')])
    expect(await codeOf(collectFiles([dir]))).toBe('INPUT_SPECIAL_FILE')
    expect(await codeOf(collectFiles([join(dir, 'pipe')]))).toBe('INPUT_NOT_DIRECTORY')
  })

  it('follows symbolic links inside the folder and refuses links that point outside it', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'data/real.txt': 'real', 'outside.txt': 'secret' })
    await symlink('real.txt', join(dir, 'data', 'alias.txt'))
    const { files } = await collectFiles([join(dir, 'data')])
    expect(files.map((f) => f.name).sort()).toEqual(['alias.txt', 'real.txt'])
    await symlink('../outside.txt', join(dir, 'data', 'escape.txt'))
    expect(await codeOf(collectFiles([join(dir, 'data')]))).toBe('INPUT_SYMLINK_ESCAPE')
  })

  it('refuses two inputs that would store the same name', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'one/a.txt': '1', 'two/a.txt': '2' })
    expect(await codeOf(collectFiles([join(dir, 'one', 'a.txt'), join(dir, 'two', 'a.txt')]))).toBe('DUPLICATE_NAME')
  })

  it('uses SOURCE_DATE_EPOCH for the header and clamps newer file times to it', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'old.txt': 'o' }, 1000)
    await writeTree(dir, { 'new.txt': 'n' }, 5000)
    const built = await buildImageFromPaths([dir], { env: { SOURCE_DATE_EPOCH: '3000' } })
    const listing = parseImage(built.image)
    expect(listing.header?.modDate).toBe(3000)
    expect(Object.fromEntries(listing.files.map((f) => [f.name, f.modDate]))).toEqual({
      'new.txt': 3000,
      'old.txt': 1000,
    })
    const overridden = await buildImageFromPaths([dir], { env: { SOURCE_DATE_EPOCH: '3000' }, epoch: 4000 })
    expect(parseImage(overridden.image).header?.modDate).toBe(4000)
    expect(await codeOf(buildImageFromPaths([dir], { env: { SOURCE_DATE_EPOCH: 'yesterday' } }))).toBe('BAD_OPTION')
  })

  it('takes the newest file time for the header when no epoch is set, and keeps real file times', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'old.txt': 'o' }, 8_000_000)
    await writeTree(dir, { 'new.txt': 'n' }, 9_000_000)
    const listing = parseImage((await buildImageFromPaths([dir], { env: {} })).image)
    expect(listing.header?.modDate).toBe(9_000_000)
    expect(listing.files.map((f) => f.modDate)).toEqual([9_000_000, 8_000_000])
  })

  it('skips version-control folders unless asked to include them', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'a.txt': 'a', '.git/HEAD': 'ref', '.svn/entries': 'x', 'sub/CVS/Root': 'r', '.hidden': 'h' })
    const skipped = await collectFiles([dir])
    expect(skipped.files.map((f) => f.name)).toEqual(['.hidden', 'a.txt'])
    expect(skipped.skipped.map((s) => s.reason)).toEqual(['version control', 'version control', 'version control'])
    const included = await collectFiles([dir], { includeVcs: true })
    expect(included.files.map((f) => f.name)).toEqual(['.git/HEAD', '.hidden', '.svn/entries', 'a.txt', 'sub/CVS/Root'])
  })

  it('builds identical images from the same tree twice with the same epoch', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'b.txt': 'b', 'a/c.txt': 'c' })
    const first = await buildImageFromPaths([dir], { epoch: 77 })
    await writeFile(join(dir, 'b.txt'), 'b') // touched: newer mtime, clamped to the epoch
    const second = await buildImageFromPaths([dir], { epoch: 77 })
    expect(second.image).toEqual(first.image)
  })
})
