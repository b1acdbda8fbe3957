import { execFileSync } from 'node:child_process'
import { cliHint } from '../../src/cli/hints.js'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImageFromPaths, collectFiles, FlashdataError, parseImage } from 'flashdata'
import { writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

async function errorOf(promise: Promise<unknown>): Promise<FlashdataError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof FlashdataError) return error
    throw error
  }
  throw new Error('expected a FlashdataError')
}

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

  describe('the packed-once rule (buildImageFromPaths)', () => {
    const names = async (inputs: string[], exclude: string[] = []) =>
      parseImage((await buildImageFromPaths(inputs, { exclude, env: {} })).image).files.map((f) => f.name)

    it('refuses a link to a folder inside the tree, naming both; --exclude chooses the one name', async () => {
      const dir = await tempDir()
      await writeTree(dir, { 'data/sub/a.txt': 'a' })
      await symlink('sub', join(dir, 'data', 'link'))
      const error = await errorOf(buildImageFromPaths([join(dir, 'data')], { env: {} }))
      expect(error.code).toBe('INPUT_PACKED_TWICE')
      expect(error.message).toMatch(/^The link "link" in /)
      expect(error.message).toContain('"sub"')
      expect(cliHint(error)).toContain("--exclude 'link'")
      expect(cliHint(error)).toContain("--exclude 'sub'")
      expect(await names([join(dir, 'data')], ['sub'])).toEqual(['link/a.txt'])
      expect(await names([join(dir, 'data')], ['link'])).toEqual(['sub/a.txt'])
    })

    it('refuses a link that leads back up the tree (a loop), to the input itself or to a folder above it', async () => {
      const dir = await tempDir()
      await writeTree(dir, { 'data/d/x.txt': 'x' })
      await symlink('../d', join(dir, 'data', 'd', 'loop'))
      const loop = await errorOf(buildImageFromPaths([join(dir, 'data')], { env: {} }))
      expect(loop.code).toBe('INPUT_PACKED_TWICE')
      expect(loop.details).toMatchObject({ loop: true })
      expect(cliHint(loop)).toContain("--exclude 'd/loop'")
      expect(await names([join(dir, 'data')], ['loop'])).toEqual(['d/x.txt'])
      await writeTree(dir, { 'self/x.txt': 'x' })
      await symlink('.', join(dir, 'self', 'me'))
      expect((await errorOf(buildImageFromPaths([join(dir, 'self')], { env: {} }))).details).toMatchObject({
        loop: true,
      })
    })

    it('still refuses a link to a folder outside the tree', async () => {
      const dir = await tempDir()
      await writeTree(dir, { 'data/a.txt': 'a', 'other/b.txt': 'b' })
      await symlink('../other', join(dir, 'data', 'other'))
      expect(await codeOf(buildImageFromPaths([join(dir, 'data')], { env: {} }))).toBe('INPUT_SYMLINK_ESCAPE')
    })

    it('refuses overlapping inputs in either order and the same input twice; nothing is dropped', async () => {
      const dir = await tempDir()
      await writeTree(dir, { 'g1/a': 'a', 'g1/sub/b': 'b' })
      const [g1, sub] = [join(dir, 'g1'), join(dir, 'g1', 'sub')]
      for (const inputs of [
        [sub, g1],
        [g1, sub],
        [g1, g1],
        [g1, `${g1}/.`],
        [g1, join(sub, 'b')],
      ]) {
        expect(await codeOf(buildImageFromPaths(inputs, { env: {} })), inputs.join(' ')).toBe('INPUT_PACKED_TWICE')
      }
      // Leaving the inner folder out of the outer one packs each file once, under the name chosen.
      expect(await names([g1, sub], ['sub'])).toEqual(['a', 'b'])
      expect(await names([g1])).toEqual(['a', 'sub/b'])
    })

    it('an --exclude pattern that matches nothing is a warning naming it; one that matches is not', async () => {
      const dir = await tempDir()
      await writeTree(dir, { 'a.txt': 'a', 'b.tmp': 'b' })
      const built = await buildImageFromPaths([dir], { exclude: ['*.tmp', '*.bak'], env: {} })
      expect(built.skipped.map((s) => s.reason)).toEqual(['excluded by *.tmp'])
      expect(built.warnings).toEqual(['--exclude "*.bak" matches none of the files to pack.'])
    })
  })
})
