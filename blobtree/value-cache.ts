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
 *
 * Representation: in a cache of up to VALUE_CACHE_ON_HEAP_CAPACITY_BYTES_MAX, a value is kept as
 * a latin1 string (one char per byte, on the JS heap) rather than a Buffer (outside it). V8 grows
 * its old-generation limit from the on-heap old generation only, yet counts the ArrayBuffer bytes
 * allocated since the last mark-compact against it; random gets allocate a 16 KiB value each,
 * and with the 16 MiB of cached values held in Buffers the process ran a mark-compact after
 * nearly every scavenge: 41-43 per 100,000 random gets in 4 of 4 runs against 0-21 kept as
 * strings, 53,443-61,418 gets/s against 83,455-93,867 (scripts/blob-get-gc.ts, alternating,
 * docs/formats/blob-file.md, Reads). A hit copies 16 KiB out of either in 1.3-2.2 µs. Larger caches keep
 * Buffers, so a cache sized past the heap's limit cannot exhaust the heap.
 */
import { Buffer, constants } from 'node:buffer'
import { getHeapStatistics } from 'node:v8'
import type { BlockCache } from '../engine/cache/mod.ts'
import type { BlobHandle } from './handle.ts'

/**
 * What one cached value is charged beyond its value and key bytes: the cache's node and map
 * entry, this entry object and the string or ArrayBuffer header of the copy. An estimate (a few small
 * objects of a few words each), not measured; it only matters for values of a few KiB or less.
 */
export const VALUE_CACHE_ENTRY_OVERHEAD_BYTES = 256

/**
 * Largest cache (its whole capacity, so the bound holds whatever it evicts) whose values are kept
 * on the JS heap as latin1 strings; larger ones keep Buffers. An eighth of this process's heap
 * limit (V8 sizes it from the machine's memory and `--max-old-space-size`; 4.3 GB on the 24 GB
 * machine here), so cached values cannot crowd out the heap.
 */
export const VALUE_CACHE_ON_HEAP_CAPACITY_BYTES_MAX = Math.floor(getHeapStatistics().heap_size_limit / 8)

/** A verified value and what the read that verified it checked it against. */
class CachedValue {
  readonly key: string
  readonly frameSizeBytes: number
  /** The value's bytes: as a latin1 string (one char per byte) or a Buffer. */
  readonly value: string | Uint8Array
  /** The block cache's CLOCK reference bit (CachedBlock). */
  referenced = false

  constructor(key: string, frameSizeBytes: number, value: string | Uint8Array) {
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
    // A value past V8's longest string (2^29 - 24 chars on 64-bit) stays a Buffer: a heap limit
    // raised by --max-old-space-size can make room for one in the cache.
    const onHeap = cache.capacityBytes <= VALUE_CACHE_ON_HEAP_CAPACITY_BYTES_MAX && value.length <= constants.MAX_STRING_LENGTH
    const kept = onHeap ? latin1Of(value) : copyOf(value)
    if (!cache.insertIfRoom(handle.fileNumber, handle.offsetBytes, new CachedValue(key, handle.frameSizeBytes, kept), chargeBytes)) return false
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
function copyOf(value: string | Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(value.length)
  if (typeof value === 'string') copy.write(value, 0, 'latin1')
  else copy.set(value)
  return copy
}

/** The bytes of `value` as a latin1 string: a copy on the JS heap, one char per byte. */
function latin1Of(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1')
}
