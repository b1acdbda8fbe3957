/** Operating-system droppings that never belong in an image. */
const JUNK = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini'])

/** Version-control folders (and git's .git file in worktrees): a data folder that is its own repository must not pack its history. */
const VCS = new Set(['.git', '.svn', '.hg', '.bzr', '_darcs', 'CVS', '.fslckout'])

/** Why a folder entry is left out of an image (the CLI's and the page's one rule), or undefined to pack it. */
export function skipReason(name: string, includeVcs = false): string | undefined {
  if (JUNK.has(name)) return 'system junk file'
  if (VCS.has(name) && !includeVcs) return 'version control'
  return undefined
}
