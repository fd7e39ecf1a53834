/**
 * Walks an engine's directory tree: every non-directory entry, then the directory itself. A
 * directory that vanishes during the walk (an engine's background work deleting it) is skipped:
 * engines delete files while we look, and what is gone no longer takes space or needs syncing.
 */
import fs from 'node:fs'
import path from 'node:path'

export function walkFiles(directory: string, onFile: (filePath: string) => void, onDirectory?: (directoryPath: string) => void): void {
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(directory, { withFileTypes: true })
  } catch {
    return
  }
  for (const entry of entries) {
    const entryPath = path.join(directory, entry.name)
    if (entry.isDirectory()) walkFiles(entryPath, onFile, onDirectory)
    else onFile(entryPath)
  }
  onDirectory?.(directory)
}
