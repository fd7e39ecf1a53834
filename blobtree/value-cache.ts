/**
 * ValueCache: separated values, verified once, kept in the database's block cache under their
 * blob file's number and frame offset (file numbers are unique across tables and blob files),
 * so they share the `blockCacheSizeBytes` budget with table blocks, as RocksDB's blob cache can
 * share its block cache. A hit skips the pread, the frame checks and the body checksum.
 *
 * Contract: what `read` returns is the caller's own copy (the engine copies inline values too),
 * so a cached value is never handed out and no caller can change what another one reads.
 * Admission: a value enters only into free capacity (`BlockCache.insertIfRoom`), because
 * admitting costs a copy, and a cache smaller than the values read at random would pay it on
 * almost every get, evicting the table blocks every lookup needs for copies rarely read back.
 * A frame's bytes never change while its file exists; the value log forgets a file's values
 * when it removes or truncates the file. Single-threaded, like the value log that owns it.
 */
import { Buffer } from 'node:buffer'
import type { BlockCache } from '../engine/cache/mod.ts'
import type { BlobHandle } from './handle.ts'

/**
 * What one cached value is charged beyond its value and key bytes: the cache's node and map
 * entry, this entry object and the ArrayBuffer behind the copy. An estimate (a few small
 * objects of a few words each), not measured; it only matters for values of a few KiB or less.
 */
export const VALUE_CACHE_ENTRY_OVERHEAD_BYTES = 256

/** A verified value and what the read that verified it checked it against. */
class CachedValue {
  readonly key: string
  readonly frameSizeBytes: number
  readonly value: Uint8Array
  /** The block cache's CLOCK reference bit (CachedBlock). */
  referenced = false

  constructor(key: string, frameSizeBytes: number, value: Uint8Array) {
    this.key = key
    this.frameSizeBytes = frameSizeBytes
    this.value = value
  }
}

/** Counters since open, for `stats().blob.valueCache`. */
export interface ValueCacheStats {
  /** Gets served from a cached, already verified value (no blob file read). */
  hitCount: number
  /** Gets that read the value from its blob file. */
  missCount: number
  /** Values admitted into the cache (only into free room: a value never evicts a table block). */
  insertCount: number
}

/** Verified values in the shared block cache. Inert until `attach`. */
export class ValueCache {
  #cache: BlockCache | undefined
  #hitCount = 0
  #missCount = 0
  #insertCount = 0

  /** Starts caching in `cache` (the engine's block cache, once the engine is open). */
  attach(cache: BlockCache): void {
    this.#cache = cache
  }

  /**
   * A copy of the value at `handle` when it is cached and was verified for `key` and this frame
   * size; undefined otherwise (a mismatch falls through to the disk read, which reports it).
   */
  read(handle: BlobHandle, key: string): Buffer | undefined {
    const cache = this.#cache
    if (cache === undefined || cache.capacityBytes === 0) return undefined
    const entry = cache.get(handle.fileNumber, handle.offsetBytes)
    if (!(entry instanceof CachedValue) || entry.key !== key || entry.frameSizeBytes !== handle.frameSizeBytes) {
      this.#missCount++
      return undefined
    }
    this.#hitCount++
    return copyOf(entry.value)
  }

  /**
   * Keeps a copy of `value`, just verified at `handle` for `key`, when the cache has free room.
   * Returns whether it did.
   */
  admit(handle: BlobHandle, key: string, value: Uint8Array): boolean {
    const cache = this.#cache
    if (cache === undefined) return false
    const chargeBytes = value.length + key.length + VALUE_CACHE_ENTRY_OVERHEAD_BYTES
    if (!cache.fits(chargeBytes)) return false
    if (!cache.insertIfRoom(handle.fileNumber, handle.offsetBytes, new CachedValue(key, handle.frameSizeBytes, copyOf(value)), chargeBytes)) return false
    this.#insertCount++
    return true
  }

  /** Drops every cached value of `fileNumber` (the file is removed or cut). */
  forget(fileNumber: number): void {
    this.#cache?.evictFile(fileNumber)
  }

  stats(): ValueCacheStats {
    return { hitCount: this.#hitCount, missCount: this.#missCount, insertCount: this.#insertCount }
  }
}

/** An unpooled copy, so a value kept by a caller pins its own bytes only. */
function copyOf(value: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(value.length)
  copy.set(value)
  return copy
}
