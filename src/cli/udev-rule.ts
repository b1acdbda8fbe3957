import { readFile } from 'node:fs/promises'

export const UDEV_RULE_NAME = '50-particle.rules'

/** The rule in the package's udev/ folder, two folders up both from dist/cli/ and from the bundle in dist/bundle/. */
export function readUdevRule(): Promise<string> {
  return readFile(new URL(`../../udev/${UDEV_RULE_NAME}`, import.meta.url), 'utf8')
}
