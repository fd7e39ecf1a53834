/**
 * BlockCache: a byte-bounded cache of decoded blocks keyed by (fileNumber, offsetBytes), shared
 * by every table reader of a database. Decoded means after the codec (checksum verified,
 * decompressed, decrypted), so a hit costs a map lookup instead of a read, a checksum and
 * possibly a 16 µs zstd decompress (js-building-blocks.md §3).
 *
 * Lookup is two Map gets (file, then offset), or one array read through a reader's BlockSlots.
 * Eviction is CLOCK (second chance) over an intrusive doubly-linked list in insertion order: a
 * hit only sets the block's reference bit, kept on the block itself (CachedBlock) so a hit
 * through a slot touches nothing but the block, and eviction takes the oldest block whose bit is
 * clear, moving each referenced one it passes to the newest end with its bit cleared. Moving the
 * block to the newest end on every hit (LRU) put get() and its relinks at 6% of a cached point
 * get's CPU profile; CLOCK approximates LRU and keeps the same byte bound. `evictFile` drops
 * every block of a deleted table.
 * File numbers are unique across tables and blob files of a database, so one cache may serve
 * both. A block that leaves with its `ownBuffer` set gives that buffer to `buffers`, the pool the
 * next point-get read takes from (block-buffer-pool.ts). Not thread-safe; JS is single-threaded
 * and no method yields.
 */
import assert from 'node:assert/strict'
import { BlockBufferPool, type BlockBufferPoolStats } from './block-buffer-pool.ts'

/** Default capacity: 16 MiB of decoded blocks. */
export const BLOCK_CACHE_CAPACITY_BYTES_DEFAULT = 16 * 1024 * 1024

/** Options of a BlockCache. */
export interface BlockCacheOptions {
  /** Bytes of decoded blocks kept (by their charge); default 16 MiB; 0 caches nothing. */
  capacityBytes?: number
}

/** Counters since the cache was created. */
export interface BlockCacheStats {
  hitCount: number
  missCount: number
  insertCount: number
  evictionCount: number
  entryCount: number
  usageBytes: number
  capacityBytes: number
  /** The read buffers of evicted blocks, reused by later reads (block-buffer-pool.ts). */
  buffers: BlockBufferPoolStats
}

/** What the cache holds: a decoded block carrying the cache's CLOCK reference bit. */
export interface CachedBlock {
  /** Hit since eviction last passed it: spared once more. Set and cleared by the cache only. */
  referenced: boolean
  /**
   * The read buffer the block alone views, while nothing but the cache and a running point get
   * can reach it; the cache gives it to `buffers` when the block leaves. Whoever hands the block
   * to anything that keeps it (an iterator) clears it first.
   */
  ownBuffer?: ArrayBuffer
}

/**
 * A table reader's own index of its cached blocks: slot i holds its block i while that block is
 * cached, once the reader found or inserted it there; the cache empties the slot when the block
 * leaves. A hit through a slot skips get()'s two Map lookups and the cache's node: holding the
 * block itself rather than the node in the slot took awaited cached point gets from 0.64x to
 * 0.70x lmdb's (medians of per-round ratios, one interleaved run of 18 rounds). Several
 * readers of one file may hold slot arrays: a block sits in the last one that looked it up.
 */
export type BlockSlots = Array<CachedBlock | undefined>

/** Empty slots for a reader of `blockCount` blocks. */
export function createBlockSlots(blockCount: number): BlockSlots {
  return new Array<CachedBlock | undefined>(blockCount).fill(undefined)
}

class CacheNode {
  readonly fileNumber: number
  readonly offsetBytes: number
  readonly value: CachedBlock
  readonly chargeBytes: number
  older: CacheNode | undefined = undefined
  newer: CacheNode | undefined = undefined
  /** The reader slots holding this entry, if any, and its index there. */
  slots: BlockSlots | undefined = undefined
  slotIndex = 0

  constructor(fileNumber: number, offsetBytes: number, value: CachedBlock, chargeBytes: number) {
    this.fileNumber = fileNumber
    this.offsetBytes = offsetBytes
    this.value = value
    this.chargeBytes = chargeBytes
  }
}

/**
 * The block cache.
 * @example
 * ```ts
 * const cache = new BlockCache({ capacityBytes: 64 * 1024 * 1024 })
 * const reader = TableReader.open(vfs, path, 7, { blockCache: cache })
 * ```
 */
export class BlockCache {
  readonly capacityBytes: number
  /** Read buffers of blocks that left the cache, for the next point-get read to take. */
  readonly buffers = new BlockBufferPool()
  readonly #files = new Map<number, Map<number, CacheNode>>()
  /** Oldest and newest ends of the list: eviction inspects from the oldest end. */
  #oldest: CacheNode | undefined = undefined
  #newest: CacheNode | undefined = undefined
  #usageBytes = 0
  #entryCount = 0
  #hitCount = 0
  #missCount = 0
  #insertCount = 0
  #evictionCount = 0

  constructor(options: BlockCacheOptions = {}) {
    const capacityBytes = options.capacityBytes ?? BLOCK_CACHE_CAPACITY_BYTES_DEFAULT
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, `capacityBytes ${capacityBytes}`)
    this.capacityBytes = capacityBytes
  }

  /**
   * The cached block, marked referenced, or undefined (counted as a miss). With `slots`, the
   * entry found is recorded in `slots[slotIndex]` for getInSlot.
   */
  get(fileNumber: number, offsetBytes: number, slots?: BlockSlots, slotIndex = 0): CachedBlock | undefined {
    const node = this.#files.get(fileNumber)?.get(offsetBytes)
    if (node === undefined) {
      this.#missCount++
      return undefined
    }
    this.#hitCount++
    node.value.referenced = true
    if (slots !== undefined) attachSlot(node, slots, slotIndex)
    return node.value
  }

  /**
   * The block in `slots[slotIndex]`, marked referenced and counted as a hit, or undefined when
   * the slot is empty (counted as nothing: the caller goes on to get()).
   */
  getInSlot(slots: BlockSlots, slotIndex: number): CachedBlock | undefined {
    const block = slots[slotIndex]
    if (block === undefined) return undefined
    this.#hitCount++
    block.referenced = true
    return block
  }

  /**
   * Caches `value` charged at `chargeBytes`, evicting blocks (CLOCK) to stay within capacity. A
   * block larger than the whole capacity is not cached. Replaces an existing entry.
   */
  insert(fileNumber: number, offsetBytes: number, value: CachedBlock, chargeBytes: number, slots?: BlockSlots, slotIndex = 0): void {
    assert(chargeBytes >= 0)
    if (chargeBytes > this.capacityBytes) return
    let blocks = this.#files.get(fileNumber)
    const existing = blocks?.get(offsetBytes)
    if (existing !== undefined) this.#remove(existing, blocks!)
    // Evict before linking the new block: spared blocks move to the newest end, and the new
    // block must not end up older than them and be the next one evicted.
    this.#evictUntilFree(chargeBytes)
    blocks = this.#files.get(fileNumber)
    if (blocks === undefined) {
      blocks = new Map()
      this.#files.set(fileNumber, blocks)
    }
    const node = new CacheNode(fileNumber, offsetBytes, value, chargeBytes)
    blocks.set(offsetBytes, node)
    if (slots !== undefined) attachSlot(node, slots, slotIndex)
    this.#pushNewest(node)
    this.#usageBytes += chargeBytes
    this.#entryCount++
    this.#insertCount++
  }

  /**
   * Evicts until `chargeBytes` more fit: the oldest unreferenced block goes; a referenced one
   * loses its bit and moves to the newest end. Ends within two passes over the list, and with
   * an empty list at worst, where anything up to the capacity fits.
   */
  #evictUntilFree(chargeBytes: number): void {
    while (this.#usageBytes + chargeBytes > this.capacityBytes) {
      const oldest = this.#oldest!
      if (oldest.value.referenced) {
        oldest.value.referenced = false
        this.#unlink(oldest)
        this.#pushNewest(oldest)
        continue
      }
      this.#remove(oldest, this.#files.get(oldest.fileNumber)!)
      this.#evictionCount++
    }
  }

  /** True when a block charged `chargeBytes` fits in the free capacity (insertIfRoom would take it). */
  fits(chargeBytes: number): boolean {
    return this.#usageBytes + chargeBytes <= this.capacityBytes
  }

  /**
   * Caches `value` only when it fits in the free capacity: evicts nothing and returns whether it
   * inserted. Scans and compactions fill the cache this way, so one pass over more data than
   * the cache holds does not push out the blocks point reads keep hot (RocksDB's
   * `fill_cache = false`, except that a cold cache still warms). Never replaces an entry.
   */
  insertIfRoom(fileNumber: number, offsetBytes: number, value: CachedBlock, chargeBytes: number, slots?: BlockSlots, slotIndex = 0): boolean {
    if (!this.fits(chargeBytes)) return false
    if (this.#files.get(fileNumber)?.has(offsetBytes) === true) return false
    this.insert(fileNumber, offsetBytes, value, chargeBytes, slots, slotIndex)
    return true
  }

  /** Empties the slots of a reader of `fileNumber` and forgets them (it closed): the blocks stay cached. */
  releaseSlots(fileNumber: number, slots: BlockSlots): void {
    for (const node of this.#files.get(fileNumber)?.values() ?? []) {
      if (node.slots === slots) node.slots = undefined
    }
    slots.fill(undefined)
  }

  /** Drops every block of `fileNumber` (its table was deleted); returns how many. */
  evictFile(fileNumber: number): number {
    const blocks = this.#files.get(fileNumber)
    if (blocks === undefined) return 0
    const count = blocks.size
    for (const node of [...blocks.values()]) this.#remove(node, blocks)
    return count
  }

  /** Drops everything, the pool's spare buffers too (close() clears the cache: nothing reads after). */
  clear(): void {
    for (const fileNumber of [...this.#files.keys()]) this.evictFile(fileNumber)
    this.buffers.clear()
  }

  stats(): BlockCacheStats {
    return {
      hitCount: this.#hitCount,
      missCount: this.#missCount,
      insertCount: this.#insertCount,
      evictionCount: this.#evictionCount,
      entryCount: this.#entryCount,
      usageBytes: this.#usageBytes,
      capacityBytes: this.capacityBytes,
      buffers: this.buffers.stats(),
    }
  }

  #remove(node: CacheNode, blocks: Map<number, CacheNode>): void {
    if (node.slots !== undefined) node.slots[node.slotIndex] = undefined
    this.#unlink(node)
    blocks.delete(node.offsetBytes)
    if (blocks.size === 0) this.#files.delete(node.fileNumber)
    this.#usageBytes -= node.chargeBytes
    this.#entryCount--
    const buffer = node.value.ownBuffer
    if (buffer !== undefined) {
      node.value.ownBuffer = undefined
      this.buffers.give(buffer)
    }
  }

  #unlink(node: CacheNode): void {
    if (node.older === undefined) this.#oldest = node.newer
    else node.older.newer = node.newer
    if (node.newer === undefined) this.#newest = node.older
    else node.newer.older = node.older
    node.older = undefined
    node.newer = undefined
  }

  #pushNewest(node: CacheNode): void {
    node.older = this.#newest
    node.newer = undefined
    if (this.#newest === undefined) this.#oldest = node
    else this.#newest.newer = node
    this.#newest = node
  }
}

/** Records `node` in `slots[slotIndex]`, taking it out of the slots that held it before. */
function attachSlot(node: CacheNode, slots: BlockSlots, slotIndex: number): void {
  if (node.slots === slots) return
  if (node.slots !== undefined) node.slots[node.slotIndex] = undefined
  node.slots = slots
  node.slotIndex = slotIndex
  slots[slotIndex] = node.value
}
