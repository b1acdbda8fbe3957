/**
 * What the page writes: a folder packed with the CLI's rules and code (the
 * same files and times give the same bytes as `flashdata build`), or an
 * image file, checked before anything touches a board.
 */
import { buildImage, tooLarge, type ImageFileInput } from '../image/build.js'
import { DFU_SIGNATURE_BYTES, imageFileTooLarge, imageOfFile, maxFileSize } from '../image/dfu-file.js'
import { SECTOR_SIZE } from '../image/format.js'
import { readImage, type ImageListing } from '../image/parse.js'
import { skipReason } from '../image/skip.js'

export interface Chosen {
  /** What the user chose, for messages: the folder's or the file's name. */
  source: string
  image: Uint8Array
  listing: ImageListing
  /** Paths left out by the packing rules (system junk, version control). */
  skipped: string[]
}

/** A file of the chosen folder: its path below the folder, with '/'. */
export interface FolderFile {
  path: string
  file: File
}

/** Packs a folder's files as `flashdata build` does: the skip rules, then the newest file time as the header time. */
export async function packFolder(source: string, entries: FolderFile[]): Promise<Chosen> {
  const files: ImageFileInput[] = []
  const skipped: string[] = []
  for (const { path, file } of entries) {
    if (path.split('/').some((part) => skipReason(part) !== undefined)) {
      skipped.push(path)
      continue
    }
    // Refused from its size, before it is read, with the CLI's message for the same folder.
    if (file.size > SECTOR_SIZE) throw tooLarge(`${source}/${path}`, file.size, 'file', 'stored in it')
    files.push({
      name: path,
      data: new Uint8Array(await file.arrayBuffer()),
      mtime: Math.floor(file.lastModified / 1000),
    })
  }
  const epoch = files.length ? Math.max(...files.map((f) => f.mtime)) : 0
  const image = buildImage(files, { epoch })
  return { source, image, listing: readImage(image), skipped }
}

export async function openImageFile(file: File): Promise<Chosen> {
  // Between an image's size and a .dfu file's, the first bytes say which it is.
  const head =
    file.size > SECTOR_SIZE && file.size <= maxFileSize('dfu')
      ? new Uint8Array(await file.slice(0, DFU_SIGNATURE_BYTES).arrayBuffer())
      : undefined
  const tooBig = imageFileTooLarge(file.name, file.size, head)
  if (tooBig) throw tooBig
  const image = imageOfFile(file.name, new Uint8Array(await file.arrayBuffer()))
  return { source: file.name, image, listing: readImage(image, file.name), skipped: [] }
}

/** The files of an `<input webkitdirectory>`: their paths without the chosen folder's own name. */
export function fromFolderInput(list: FileList): { source: string; entries: FolderFile[] } {
  const files = [...list]
  const source = files[0]?.webkitRelativePath.split('/')[0] ?? 'folder'
  return {
    source,
    entries: files.map((file) => ({ file, path: file.webkitRelativePath.split('/').slice(1).join('/') || file.name })),
  }
}

/** Walks a dropped folder (the File and Directory Entries API). */
export async function fromDroppedFolder(dir: FileSystemDirectoryEntry): Promise<FolderFile[]> {
  const out: FolderFile[] = []
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
      out.push({ path: prefix + entry.name, file })
      return
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader()
    // readEntries returns the entries in batches; an empty batch ends the folder.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
      if (batch.length === 0) break
      for (const child of batch) await walk(child, `${prefix}${entry === dir ? '' : `${entry.name}/`}`)
    }
  }
  await walk(dir, '')
  return out
}
