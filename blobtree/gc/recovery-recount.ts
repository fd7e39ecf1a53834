/**
 * The stale recount after a recovery that dropped WAL records. A separated value's frame is
 * appended before the WAL record that names it (docs/formats/blob-file.md §6), so when recovery
 * drops records (a torn or lost log tail, logs after it, point-in-time recovery's damage), their
 * frames stay in blob files that no index entry names and no compaction will ever report: counted
 * live for good, they could keep a file under the staleness threshold forever. The recount sets
 * each sealed file's stale figure to what the index says (its frame bytes minus the bytes some
 * entry names), where that is more than the file's count; docs/formats/blob-file.md §8 says why
 * no frame is then counted twice. Pure: the caller walks the index and logs the edit.
 */
import type { RecoveryReport } from '../../engine/mod.ts'
import type { Version } from '../../engine/manifest/mod.ts'
import { frameBytesOf, type BlobFileMeta } from './accounting.ts'
import { isSealed } from '../value-log.ts'
import type { FrameReferences } from './frame-references.ts'

/** A stale delta as the manifest edit records it. */
export interface StaleBytesDelta {
  fileNumber: number
  staleBytesDelta: number
}

/** True when recovery dropped WAL records (or whole logs) whose frames may be in blob files. */
export function droppedRecords(report: RecoveryReport): boolean {
  return report.tailFile !== undefined || report.walDamage !== undefined || report.walFilesDropped > 0
}

/**
 * The deltas that raise each sealed file of `version` to its stale bytes by `references` (a walk
 * of the index taken with `version`): frame bytes no entry names, less what is counted already
 * (the manifest's figure, and `pendingBytesOf`: drops reported but not yet in an edit). A file
 * counted higher than that keeps its figure (the collector's dead-file check guards an
 * over-count). `sealing` gives the final metas of files the manifest still lists unsealed and
 * the same edit seals (recovered at open); other unsealed files are left out (their frame bytes
 * are not final).
 */
export function staleRecountOf(
  version: Version, references: FrameReferences, pendingBytesOf: (fileNumber: number) => number, sealing: readonly BlobFileMeta[] = [],
): StaleBytesDelta[] {
  const finalMetas = new Map(sealing.map((meta) => [meta.fileNumber, meta]))
  const deltas: StaleBytesDelta[] = []
  for (const fileNumber of [...version.blobFiles.keys()].sort((a, b) => a - b)) {
    const state = version.blobFiles.get(fileNumber)!
    const meta = finalMetas.get(fileNumber) ?? state.meta
    if (!isSealed(meta.sizeBytes)) continue
    const unreferencedBytes = Math.max(0, frameBytesOf(meta) - references.referencedBytesOf(fileNumber))
    const countedBytes = state.staleBytes + pendingBytesOf(fileNumber)
    if (unreferencedBytes > countedBytes) deltas.push({ fileNumber, staleBytesDelta: unreferencedBytes - countedBytes })
  }
  return deltas
}
