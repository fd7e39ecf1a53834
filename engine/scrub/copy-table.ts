/**
 * Copying a table's contents, entry for entry, into a new table: the rewrite behind auto-heal
 * (a table whose blocks needed ECC repair gets fresh, undamaged blocks) and key rotation (a table
 * sealed under an older key epoch is resealed under the active one). Every version, tombstone
 * and range tombstone is kept with its seqno, so the copy may replace the original in the same
 * level in one manifest edit: same key range, same seqnos, same answers to every read.
 */
import type { TableReader } from '../table/mod.ts'
import type { OutputTable } from '../compaction/merge-run.ts'

/** Adds every entry and range tombstone of `source` to `target`; returns the entries copied. */
export function copyTable(source: TableReader, target: OutputTable): number {
  let entryCount = 0
  const iterator = source.iterator()
  try {
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      target.add(iterator.key(), iterator.seqno(), iterator.kind(), iterator.value(), iterator.checksum())
      entryCount++
    }
  } finally {
    iterator.close()
  }
  for (const tombstone of source.rangeTombstones) target.addRangeTombstone(tombstone)
  return entryCount
}
