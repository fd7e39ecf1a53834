/**
 * HandleCache: for recently read keys, the handle of the key's separated value that the index
 * held at the read (Cassandra's key cache), so that a later get of the key skips the LSM lookup
 * (memtables, filters, index and data blocks: ~2.4-2.9 µs of a ~15 µs get of a 16 KiB value here,
 * `indexOnlyUs` of scripts/blob-get-vs-lmdb.ts) and goes straight to the value cache or the blob
 * file, which still check the frame's key and size against the handle.
 *
 * Contract (kept by BlobDb, the only writer): an entry is the key's latest handle. BlobDb drops a
 * key's entry before it hands a write of that key to the engine (every entry for a range delete),
 * and records entries only from gets without a snapshot made while no write is in flight, so an
 * entry never outlives the index state it was read from. Single-threaded.
 */
import type { BlobHandle } from './handle.ts'

/**
 * What one entry costs beyond its key's bytes: the Map slot, the key string's header and the
 * handle object. Measured: 200,000 entries with 16-, 64- and 200-byte keys grew the V8 heap by
 * 132, 179 and 315 bytes each (`--expose-gc`, heapUsed after gc()), i.e. ~116 plus the key.
 */
export const HANDLE_CACHE_ENTRY_OVERHEAD_BYTES = 120

/** Counters and size of the handle cache, for `stats().blob.handleCache`. */
export interface HandleCacheStats {
  /** Keys with a remembered handle now. */
  entryCount: number
  /** What those entries are charged: key bytes plus HANDLE_CACHE_ENTRY_OVERHEAD_BYTES each. */
  sizeBytes: number
  /** The budget (`kvSeparation.handleCacheSizeBytes`). */
  capacityBytes: number
  /** Gets since open that took the key's handle from here (no LSM lookup). */
  hitCount: number
  /** Entries dropped since open to make room (oldest recorded first). */
  evictionCount: number
}

/** Key to latest handle, bounded by bytes; evicts the oldest recorded entry first (FIFO). */
export class HandleCache {
  readonly #entries = new Map<string, BlobHandle>()
  readonly #capacityBytes: number
  #sizeBytes = 0
  #hitCount = 0
  #evictionCount = 0

  /** `capacityBytes` 0 turns the cache off. */
  constructor(capacityBytes: number) {
    this.#capacityBytes = capacityBytes
  }

  /** The key's remembered handle; counts a hit. */
  get(key: string): BlobHandle | undefined {
    const handle = this.#entries.get(key)
    if (handle !== undefined) this.#hitCount++
    return handle
  }

  record(key: string, handle: BlobHandle): void {
    const chargeBytes = key.length + HANDLE_CACHE_ENTRY_OVERHEAD_BYTES
    if (chargeBytes > this.#capacityBytes) return
    this.forget(key)
    // FIFO rather than LRU: a hit then costs one Map lookup, where LRU would reorder the Map on
    // every hit; a key read again after its eviction is recorded again by that read.
    while (this.#sizeBytes + chargeBytes > this.#capacityBytes) {
      const oldest = this.#entries.keys().next().value as string
      this.forget(oldest)
      this.#evictionCount++
    }
    this.#entries.set(key, handle)
    this.#sizeBytes += chargeBytes
  }

  forget(key: string): void {
    if (this.#entries.delete(key)) this.#sizeBytes -= key.length + HANDLE_CACHE_ENTRY_OVERHEAD_BYTES
  }

  clear(): void {
    this.#entries.clear()
    this.#sizeBytes = 0
  }

  get size(): number {
    return this.#entries.size
  }

  stats(): HandleCacheStats {
    return { entryCount: this.#entries.size, sizeBytes: this.#sizeBytes, capacityBytes: this.#capacityBytes, hitCount: this.#hitCount, evictionCount: this.#evictionCount }
  }
}
