/**
 * The shape of `db.stats()`: counters since open and sizes now. Byte counts are in bytes.
 */
import type { BlockCacheStats, FileCacheStats } from './cache/mod.ts'
import type { RecoveryReport } from './recovery.ts'
import type { IntegrityStats } from './scrub/mod.ts'

export interface LevelStats {
  level: number
  tableCount: number
  sizeBytes: number
  entryCount: number
}

export interface EngineStats {
  lastSeqno: number
  levels: LevelStats[]
  /** Sum of table sizes over all levels. */
  tableBytes: number
  memtableSizeBytes: number
  immutableMemtableCount: number
  snapshotCount: number
  /** Versions pinned by open iterators (their files cannot be deleted yet). */
  openIteratorVersionCount: number
  blockCache: BlockCacheStats
  fileCache: FileCacheStats
  /** Key + value bytes callers wrote since open. */
  userBytesWritten: number
  walBytesWritten: number
  flushCount: number
  /** Flushes whose table the worker thread built (the rest ran on the main thread). */
  flushInWorkerCount: number
  /** Worker flushes that failed and were redone on the main thread. */
  flushWorkerFallbackCount: number
  flushBytesWritten: number
  compactionCount: number
  compactionBytesRead: number
  compactionBytesWritten: number
  compactionEntriesDropped: number
  /** Writes that had to wait for flush or compaction (backpressure). */
  writeStallCount: number
  /** (WAL + flush + compaction bytes written) / user bytes written. */
  writeAmplification: number
  /** True after a background failure: reads work, writes reject with READ_ONLY. */
  readOnly: boolean
  backgroundError: string | undefined
  recovery: RecoveryReport
  /** Integrity stack: configuration (no keys), ECC repairs, auto-heal, scrub passes. */
  integrity: IntegrityStats
}
