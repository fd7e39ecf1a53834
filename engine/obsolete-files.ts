/**
 * Removal of files no version needs: logs below the log number, tables and blob files the
 * manifest does not list (orphans of a crash mid-flush or mid-compaction), old manifests.
 * Only names this engine produces are touched (parseFileName), never a stranger's file.
 */
import path from 'node:path'
import { parseFileName, type VersionSet } from './manifest/mod.ts'
import type { Vfs } from './vfs/vfs.ts'

/**
 * Deletes every obsolete file in `directory`. `alsoLive` holds file numbers in use that no
 * version lists yet (outputs being written, the current log). Returns the names removed.
 */
export function removeObsoleteFiles(vfs: Vfs, directory: string, versions: VersionSet, alsoLive: ReadonlySet<number>): string[] {
  const live = versions.liveFileNumbers()
  const removed: string[] = []
  for (const name of vfs.list(directory)) {
    const parsed = parseFileName(name)
    if (parsed === undefined || !('fileNumber' in parsed)) continue
    if (live.has(parsed.fileNumber) || alsoLive.has(parsed.fileNumber)) continue
    if (parsed.kind === 'wal' && parsed.fileNumber >= versions.logNumber) continue
    // Blob files belong to the blob layer, which tracks them in the manifest itself.
    if (parsed.kind === 'blob') continue
    vfs.remove(path.join(directory, name))
    removed.push(name)
  }
  return removed
}
