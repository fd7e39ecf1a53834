/**
 * HandleCache: for keys whose value sits in the value cache, the handle the index held when that
 * value was read, so that a get of such a key skips the LSM lookup (memtables, filters, index and
 * data blocks) and goes straight to the value cache, which still checks key and frame size.
 *
 * Contract (kept by BlobDb, the only writer): an entry is the key's latest handle. BlobDb drops a
 * key's entry before it hands a write of that key to the engine (every entry for a range delete),
 * and records entries only from gets without a snapshot made while no write is in flight, so an
 * entry never outlives the index state it was read from. Single-threaded.
 */
import type { BlobHandle } from './handle.ts'

/** Key to latest handle, bounded by entry count (cleared whole when full: entries are cheap to rebuild). */
export class HandleCache {
  readonly #entries = new Map<string, BlobHandle>()
  readonly #entryCountMax: number
  hitCount = 0

  /** `entryCountMax` 0 turns the cache off. */
  constructor(entryCountMax: number) {
    this.#entryCountMax = entryCountMax
  }

  get(key: string): BlobHandle | undefined {
    return this.#entries.get(key)
  }

  record(key: string, handle: BlobHandle): void {
    if (this.#entryCountMax === 0) return
    // Entries whose values the block cache evicted linger until looked up; a full map is
    // dropped whole rather than kept in LRU order, which would cost every hit a reorder.
    if (this.#entries.size >= this.#entryCountMax) this.#entries.clear()
    this.#entries.set(key, handle)
  }

  forget(key: string): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }
}
