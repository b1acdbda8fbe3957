import { basename, isAbsolute, join, relative } from 'node:path'
import { FlashdataError } from '../errors.js'

/**
 * `<folder>/<name>` for a name that is one path segment and stays inside the
 * folder. Names built from a board's serial pass by construction (BoardSerial
 * is letters and digits); this refuses one that would not, should anything
 * else ever reach here (UNSAFE_PATH, before the path is used).
 */
export function childPath(folder: string, name: string): string {
  const path = join(folder, name)
  const rel = relative(folder, path)
  if (name === '' || name.includes('\0') || basename(path) !== name || rel !== name || isAbsolute(rel)) {
    throw new FlashdataError(
      'UNSAFE_PATH',
      `Refused to use "${name}" as a name in "${folder}": it is not one name inside it.`,
      {
        details: { folder, name },
      },
    )
  }
  return path
}
