import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildImage, buildImageFromPaths, extractImage, FlashdataError, imageCrc } from 'flashdata'
import { pseudoRandomBytes, writeTree } from '../helpers/files.js'
import { tempDir } from '../helpers/tmp.js'

async function listTree(root: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) Object.assign(out, await listTree(root, rel))
    else
      out[rel] =
        `${(await readFile(join(root, rel))).toString('hex')}@${Math.floor((await stat(join(root, rel))).mtimeMs / 1000)}`
  }
  return out
}

describe('extractImage', () => {
  it('round-trips: build -> extract gives back the input tree, contents and mtimes', async () => {
    const src = await tempDir()
    await writeTree(
      src,
      {
        'certs/ca.pem': pseudoRandomBytes(900, 3),
        'sounds/a/b.wav': pseudoRandomBytes(5000, 4),
        'x.txt': 'hello',
        empty: '',
      },
      1_650_000_000,
    )
    const { image } = await buildImageFromPaths([src], { epoch: 1_700_000_000 })
    const out = await tempDir()
    const written = await extractImage(image, out)
    expect(written.map((w) => w.name)).toEqual(['certs/ca.pem', 'empty', 'sounds/a/b.wav', 'x.txt'])
    expect(await listTree(out)).toEqual(await listTree(src))
  })

  it('refuses to overwrite existing files unless forced', async () => {
    const out = await tempDir()
    const image = buildImage([{ name: 'a.txt', data: new TextEncoder().encode('new'), mtime: 0 }], { epoch: 0 })
    await writeFile(join(out, 'a.txt'), 'old')
    await expect(extractImage(image, out)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' })
    expect(await readFile(join(out, 'a.txt'), 'utf8')).toBe('old')
    await extractImage(image, out, { force: true })
    expect(await readFile(join(out, 'a.txt'), 'utf8')).toBe('new')
  })

  it('refuses names that would escape the folder (the name rule makes the image invalid) and writes nothing at all', async () => {
    for (const hostile of ['../evil', '/etc/evil', 'a/../../evil', 'a\\..\\evil']) {
      const image = buildImage(
        [
          { name: 'aaaa', data: new Uint8Array(1), mtime: 0 },
          { name: 'zzzzzzzzzzzz', data: new Uint8Array(1), mtime: 0 },
        ],
        { epoch: 0 },
      )
      image.fill(0, 48 + 80, 48 + 80 + 32)
      image.set(new TextEncoder().encode(hostile), 48 + 80)
      new DataView(image.buffer).setUint32(16, imageCrc(image, image.length), true)
      const out = await tempDir()
      const error = await extractImage(image, join(out, 'dest')).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(FlashdataError)
      expect((error as FlashdataError).code).toBe('IMAGE_INVALID')
      expect(await readdir(out)).toEqual([])
    }
  })

  it('refuses an invalid image before writing anything', async () => {
    const out = await tempDir()
    await expect(extractImage(new Uint8Array(100).fill(0xff), out)).rejects.toMatchObject({ code: 'IMAGE_BLANK' })
    expect(await readdir(out)).toEqual([])
  })
})
