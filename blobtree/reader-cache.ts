/**
 * ReaderCache: a bounded LRU of open BlobFileReaders by file number, so that a get costs one
 * pread and no open(). Single-threaded; the value log owns it. Readers of files being written
 * (the active and sealing files) are pinned outside the LRU by the value log, not here.
 */
import assert from 'node:assert/strict'
import type { BlobFileReader } from './blob-file/mod.ts'

/** An open reader and when it was last used (a tick of this cache's use counter). */
interface CachedReader {
  readonly reader: BlobFileReader
  usedTick: number
}

/** Open readers; closes the least recently used when one more would pass the bound. */
export class ReaderCache {
  readonly #entryCountMax: number
  readonly #readers = new Map<number, CachedReader>()
  /**
   * Uses so far. A hit stamps its entry instead of moving it to the end of the Map's order:
   * random gets over several files missed the old most-recent shortcut on most hits and paid a
   * Map delete and insert each; an eviction now scans the at most entryCountMax entries instead.
   */
  #useTick = 0
  hitCount = 0
  missCount = 0

  constructor(entryCountMax: number) {
    assert(Number.isInteger(entryCountMax) && entryCountMax >= 1, 'reader cache needs room for one reader')
    this.#entryCountMax = entryCountMax
  }

  /** The reader of `fileNumber`, opened by `open` on a miss. */
  get(fileNumber: number, open: () => BlobFileReader): BlobFileReader {
    const cached = this.#readers.get(fileNumber)
    if (cached !== undefined) {
      this.hitCount++
      cached.usedTick = ++this.#useTick
      return cached.reader
    }
    this.missCount++
    const reader = open()
    if (this.#readers.size >= this.#entryCountMax) this.#evictLeastRecentlyUsed()
    this.#readers.set(fileNumber, { reader, usedTick: ++this.#useTick })
    return reader
  }

  #evictLeastRecentlyUsed(): void {
    let oldest: number | undefined
    let oldestTick = Number.POSITIVE_INFINITY
    for (const [fileNumber, entry] of this.#readers) {
      if (entry.usedTick < oldestTick) {
        oldest = fileNumber
        oldestTick = entry.usedTick
      }
    }
    assert(oldest !== undefined, 'a full reader cache has a least recently used entry')
    this.evict(oldest)
  }

  evict(fileNumber: number): void {
    const entry = this.#readers.get(fileNumber)
    if (entry === undefined) return
    this.#readers.delete(fileNumber)
    entry.reader.close()
  }

  clear(): void {
    for (const entry of this.#readers.values()) entry.reader.close()
    this.#readers.clear()
  }

  get size(): number {
    return this.#readers.size
  }
}
