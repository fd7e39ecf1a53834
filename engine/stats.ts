/**
 * The shape of `db.stats()`: counters since open and sizes now. Byte counts are in bytes.
 */
import type { BlockCacheStats, FileCacheStats } from './cache/mod.ts'
import type { ManifestRecoveryReport } from './manifest/mod.ts'
import type { RecoveryReport } from './recovery.ts'
import type { IntegrityStats } from './scrub/mod.ts'

/** One LSM level in `stats().levels`. */
export interface LevelStats {
  /** Level index, 0 (newest, overlapping tables) to 6. */
  level: number
  /** Tables in the level. */
  tableCount: number
  /** Sum of the level's table sizes, in bytes. */
  sizeBytes: number
  /** Entries (puts, deletions) in the level's tables, shadowed versions included. */
  entryCount: number
}

/** What `db.stats()` returns: counters since open and sizes now. */
export interface EngineStats {
  /** Sequence number of the last write applied. */
  lastSeqno: number
  /** Per level, tables and bytes (7 levels). */
  levels: LevelStats[]
  /** Sum of table sizes over all levels. */
  tableBytes: number
  /** Bytes in the active memtable. */
  memtableSizeBytes: number
  /** Frozen memtables waiting for flush. */
  immutableMemtableCount: number
  /** Open snapshots (not yet released). */
  snapshotCount: number
  /** Versions pinned by open iterators (their files cannot be deleted yet). */
  openIteratorVersionCount: number
  /** Decoded-block cache: capacity, use, hits and misses. */
  blockCache: BlockCacheStats
  /** Open table readers: count, hits and misses. */
  fileCache: FileCacheStats
  /** Key + value bytes callers wrote since open. */
  userBytesWritten: number
  /** Bytes appended to write-ahead logs since open. */
  walBytesWritten: number
  /** Memtable flushes since open. */
  flushCount: number
  /** Table bytes written by flushes since open. */
  flushBytesWritten: number
  /** Flushes the background worker built (engine/background/), of flushCount. */
  workerFlushCount: number
  /** Compactions since open. */
  compactionCount: number
  /** Compactions the background worker merged (engine/background/), of compactionCount. */
  workerCompactionCount: number
  /** Table bytes compactions read since open. */
  compactionBytesRead: number
  /** Table bytes compactions wrote since open. */
  compactionBytesWritten: number
  /** Entries compactions dropped (shadowed, deleted, range-deleted) since open. */
  compactionEntriesDropped: number
  /** Writes that had to wait for flush or compaction (backpressure). */
  writeStallCount: number
  /** (WAL + flush + compaction bytes written) / user bytes written. */
  writeAmplification: number
  /** True after a background failure: reads work, writes reject with READ_ONLY. */
  readOnly: boolean
  /** Message of the background failure that made the store read-only, if any. */
  backgroundError: string | undefined
  /** What the write-ahead log replay at open found. */
  recovery: RecoveryReport
  /**
   * What the manifest replay at open found: torn tail dropped, copies repaired from their mirror
   * (`integrity.manifestHardening`); undefined for a database created by this open.
   */
  manifestRecovery: ManifestRecoveryReport | undefined
  /** Integrity stack: configuration (no keys), ECC repairs, auto-heal, scrub passes. */
  integrity: IntegrityStats
}
