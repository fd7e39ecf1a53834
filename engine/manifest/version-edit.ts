/**
 * VersionEdit: one change to the set of live files, as logged in the manifest. A plain object;
 * every field is optional. Applying edits in order to an empty version rebuilds the current
 * one (version.ts); the first record of every manifest is a snapshot edit that adds everything.
 */

/** A sorted table (SST) as the version knows it. Keys are latin1 strings (entry.ts). */
export interface TableMeta {
  /** 0 … LEVEL_COUNT - 1. */
  level: number
  fileNumber: number
  sizeBytes: number
  smallestKey: string
  largestKey: string
  smallestSeqno: number
  largestSeqno: number
  entryCount: number
  tombstoneCount: number
  rangeTombstoneCount: number
}

/** A blob file (value log) as the version knows it. The blob layer fills these in. */
export interface BlobFileMeta {
  fileNumber: number
  sizeBytes: number
  valueCount: number
  totalValueBytes: number
}

/** A change to the live files and counters. */
export interface VersionEdit {
  /** WAL files with a lower number are obsolete (their data is in tables). Never decreases. */
  logNumber?: number
  /** The next file number the allocator may hand out; filled in by VersionSet.logAndApply. */
  nextFileNumber?: number
  /** Largest sequence number in any table. Never decreases. */
  lastSeqno?: number
  addedTables?: TableMeta[]
  /** Removals apply before additions, so a table can move levels in one edit. */
  removedTables?: { level: number; fileNumber: number }[]
  addedBlobFiles?: BlobFileMeta[]
  removedBlobFiles?: number[]
  /** Bytes of a blob file that no live handle reaches any more; the delta is ≥ 0. */
  blobStaleBytes?: { fileNumber: number; staleBytesDelta: number }[]
  /**
   * Set once, by the first sealed manifest of a store (docs/encryption.md §8): from then on the
   * store's manifests are sealed, and WAL files numbered from this on must be encrypted.
   */
  encryptedFromFileNumber?: number
  /** Where the next compaction of a level starts (round robin); a hint, safe to drop. */
  compactPointers?: { level: number; key: string }[]
}
