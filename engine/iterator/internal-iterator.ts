/**
 * The iterator protocol every sorted source implements (memtable, table, level, merge).
 * It walks internal entries in internal order (key ascending, seqno descending) and exposes
 * every version, tombstones included; visibility by snapshot is decided above it, in the
 * database iterator. Positioned iterators are synchronous: sources read with readSync.
 */
import type { EntryKind } from '../entry.ts'

export interface InternalIterator {
  /** True while positioned on an entry. */
  valid(): boolean
  seekToFirst(): void
  seekToLast(): void
  /** Positions at the first entry whose key is >= `key` (its newest version). */
  seek(key: string): void
  /** Positions at the last entry whose key is <= `key` (its oldest version). */
  seekForPrev(key: string): void
  next(): void
  prev(): void
  /** The current entry; valid() must be true. */
  key(): string
  seqno(): number
  kind(): EntryKind
  value(): Uint8Array
  /**
   * The current entry's stored per-KV checksum (docs/per-kv-checksums.md), verified against the
   * entry by the source when it yields it; NO_KV_CHECKSUM when the source keeps none (option off,
   * a table of format version 1). A merge forwards it unchanged, so the table writer can check
   * that the fields it was handed still belong to one entry.
   */
  checksum(): number
  /** Releases pinned blocks or files. Idempotent. */
  close(): void
}
