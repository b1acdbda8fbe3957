// The standalone executable's first step (inlined into its main script by
// scripts/build-binary.js): write the files the CLI opens by path (the usb
// package and its native addon, package.json, the udev rule, the pages) from
// the executable's assets into a private cache folder named by their hash,
// once, and return the URL the CLI takes as its own module's place there.
// A folder that is complete is used as it is; another version's files sit in
// their own folder.
'use strict'
const { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } = require('node:fs')
const { homedir, tmpdir } = require('node:os')
const { dirname, join } = require('node:path')
const { pathToFileURL } = require('node:url')
const sea = require('node:sea')

function cacheBase() {
  if (process.env.FLASHDATA_CACHE_DIR) return process.env.FLASHDATA_CACHE_DIR
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA || tmpdir(), 'flashdata', 'cache')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'flashdata')
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'flashdata')
}

function writeTree(dir, files) {
  const temp = `${dir}.${process.pid}.tmp`
  rmSync(temp, { recursive: true, force: true })
  for (const file of files) {
    const path = join(temp, file)
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    writeFileSync(path, new Uint8Array(/** @type {ArrayBuffer} */ (sea.getRawAsset(file))))
  }
  writeFileSync(join(temp, '.complete'), '')
  try {
    renameSync(temp, dir)
  } catch (error) {
    // Another process unpacked the same files first: use those.
    rmSync(temp, { recursive: true, force: true })
    if (!existsSync(join(dir, '.complete'))) throw error
  }
}

function unpack() {
  const { hash, files } = JSON.parse(sea.getAsset('manifest.json', 'utf8'))
  let dir = join(cacheBase(), `runtime-${hash}`)
  if (!existsSync(join(dir, '.complete'))) {
    try {
      mkdirSync(dirname(dir), { recursive: true, mode: 0o700 })
      writeTree(dir, files)
    } catch {
      // No writable cache folder (a read-only home): a private one in the temporary folder.
      dir = join(tmpdir(), `flashdata-${process.getuid ? process.getuid() : 'user'}`, `runtime-${hash}`)
      if (!existsSync(join(dir, '.complete'))) {
        mkdirSync(dirname(dir), { recursive: true, mode: 0o700 })
        writeTree(dir, files)
      }
    }
  }
  return pathToFileURL(join(dir, 'dist', 'bundle', 'flashdata.cjs')).href
}

module.exports = { unpack }
