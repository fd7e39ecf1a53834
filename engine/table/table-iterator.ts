/**
 * TableIterator: an InternalIterator over every version in one table, tombstones included.
 * It walks the index and one data block at a time through a BlockCursor; blocks come from the
 * reader's loader (block cache first, then its Readahead window). It holds its current block,
 * so cache eviction never invalidates it. Values are views into blocks: copy before handing
 * them to users.
 *
 * By default an iterator caches the blocks it reads only into free cache capacity: a scan or a
 * compaction over more data than the cache holds would otherwise evict every block point reads
 * keep hot, and gain nothing, as an LRU cache never hits on a scan larger than itself.
 */
import type { EntryKind } from '../entry.ts'
import type { InternalIterator } from '../iterator/internal-iterator.ts'
import { BlockCursor, type DataBlock } from './block.ts'
import { Readahead } from './readahead.ts'

/** What an iterator needs from its table. */
export interface DataBlockSource {
  readonly separatorKeys: readonly string[]
  /** Entries carry per-KV checksums (table format version 2): verify each one the iterator lands on. */
  readonly kvChecksums: boolean
  loadDataBlock(blockIndex: number, readahead: Readahead, fillCache: boolean): DataBlock
  /** Index of the first block whose separator is >= `key` (> `key` when strict), or the block count. */
  blockIndexOf(key: string, strict: boolean): number
}

/** Options of TableReader.iterator. */
export interface TableIteratorOptions {
  /**
   * Cache every block read, evicting others (true), or only into free capacity (false, the
   * default, as RocksDB's `fill_cache = false` for scans but letting a cold cache warm).
   */
  fillCache?: boolean
}

export class TableIterator implements InternalIterator {
  readonly #source: DataBlockSource
  readonly #cursor = new BlockCursor()
  readonly #onClose: (() => void) | undefined
  readonly #readahead = new Readahead()
  readonly #fillCache: boolean
  readonly #kvChecksums: boolean
  #blockIndex = -1
  #closed = false

  constructor(source: DataBlockSource, onClose?: () => void, options: TableIteratorOptions = {}) {
    this.#source = source
    this.#onClose = onClose
    this.#fillCache = options.fillCache ?? false
    this.#kvChecksums = source.kvChecksums
  }

  valid(): boolean {
    return this.#cursor.valid()
  }

  seekToFirst(): void {
    if (!this.#load(0)) return
    this.#cursor.seekToFirst()
    if (this.#kvChecksums) this.#verify()
  }

  seekToLast(): void {
    if (!this.#load(this.#source.separatorKeys.length - 1)) return
    this.#cursor.seekToLast()
    if (this.#kvChecksums) this.#verify()
  }

  seek(key: string): void {
    if (!this.#load(this.#source.blockIndexOf(key, false))) return
    this.#cursor.seek(key)
    // The cursor's seek verified every entry it scanned (per-KV checksums); only an entry of a
    // later block still needs it.
    if (this.#cursor.valid()) return
    this.#skipForward()
    if (this.#kvChecksums) this.#verify()
  }

  seekForPrev(key: string): void {
    // Find the first entry > key, then step back. Blocks before the first separator > key hold
    // only keys <= key; that block holds the first key > key, or the next block does.
    const blockIndex = this.#source.blockIndexOf(key, true)
    if (blockIndex === this.#source.separatorKeys.length) {
      this.seekToLast()
      return
    }
    this.#load(blockIndex)
    this.#cursor.seekAfter(key)
    if (this.#cursor.valid()) this.prev()
    else {
      this.#cursor.seekToLast()
      if (this.#kvChecksums) this.#verify()
    }
  }

  next(): void {
    this.#cursor.next()
    this.#skipForward()
    if (this.#kvChecksums) this.#verify()
  }

  prev(): void {
    this.#cursor.prev()
    while (!this.#cursor.valid() && this.#blockIndex > 0) {
      this.#load(this.#blockIndex - 1)
      this.#cursor.seekToLast()
    }
    if (this.#kvChecksums) this.#verify()
  }

  key(): string {
    return this.#cursor.key()
  }

  seqno(): number {
    return this.#cursor.seqno()
  }

  kind(): EntryKind {
    return this.#cursor.kind()
  }

  value(): Uint8Array {
    return this.#cursor.value()
  }

  /** The CRC stored after the entry, which #verify checked when the iterator landed on it. */
  checksum(): number {
    return this.#cursor.storedChecksum()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#cursor.detach()
    this.#readahead.clear()
    this.#blockIndex = this.#source.separatorKeys.length
    this.#onClose?.()
  }

  /** Every entry the iterator lands on is checked before anyone reads it (docs/per-kv-checksums.md). */
  #verify(): void {
    if (this.#cursor.valid()) this.#cursor.verifyEntry()
  }

  #skipForward(): void {
    const blockCount = this.#source.separatorKeys.length
    while (!this.#cursor.valid() && this.#blockIndex + 1 < blockCount) {
      this.#load(this.#blockIndex + 1)
      this.#cursor.seekToFirst()
    }
  }

  /** Attaches the cursor to block `blockIndex` (unpositioned); false (and invalid) when out of range. */
  #load(blockIndex: number): boolean {
    if (this.#closed || blockIndex < 0 || blockIndex >= this.#source.separatorKeys.length) {
      this.#cursor.detach()
      return false
    }
    this.#blockIndex = blockIndex
    this.#cursor.attach(this.#source.loadDataBlock(blockIndex, this.#readahead, this.#fillCache))
    return true
  }
}
