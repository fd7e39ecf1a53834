/**
 * ReaderCache: a bounded LRU of open BlobFileReaders by file number, so that a get costs one
 * pread and no open(). Single-threaded; the value log owns it. Readers of files being written
 * (the active and sealing files) are pinned outside the LRU by the value log, not here.
 */
import assert from 'node:assert/strict'
import type { BlobFileReader } from './blob-file/mod.ts'

/** Open readers, least recently used first; closes what it evicts. */
export class ReaderCache {
  readonly #entryCountMax: number
  readonly #readers = new Map<number, BlobFileReader>()
  /** The most recently used file: a hit on it skips the reorder (most gets hit one file). */
  #newest: number | undefined
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
      if (this.#newest === fileNumber) return cached
      // Re-insertion moves the entry to the most recently used end of the Map's order.
      this.#readers.delete(fileNumber)
      this.#readers.set(fileNumber, cached)
      this.#newest = fileNumber
      return cached
    }
    this.missCount++
    const reader = open()
    this.#readers.set(fileNumber, reader)
    this.#newest = fileNumber
    while (this.#readers.size > this.#entryCountMax) {
      const [oldest, evicted] = this.#readers.entries().next().value as [number, BlobFileReader]
      this.#readers.delete(oldest)
      evicted.close()
    }
    return reader
  }

  evict(fileNumber: number): void {
    const reader = this.#readers.get(fileNumber)
    if (reader === undefined) return
    this.#readers.delete(fileNumber)
    if (this.#newest === fileNumber) this.#newest = undefined
    reader.close()
  }

  clear(): void {
    for (const reader of this.#readers.values()) reader.close()
    this.#readers.clear()
    this.#newest = undefined
  }

  get size(): number {
    return this.#readers.size
  }
}
