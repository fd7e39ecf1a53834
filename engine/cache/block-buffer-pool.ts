/**
 * BlockBufferPool: the read buffers of evicted data blocks, kept for the next block a point get
 * reads.
 *
 * Why: a point get that misses the block cache reads its block into a buffer, and a fresh
 * ArrayBuffer of ~4 KiB cost 4.0 µs of the ~13.6 µs such a miss took on the 2-core machine
 * (200,000 keys of 256 B, 32 MiB block cache, about 45% of gets missing; per miss: allocation
 * 4.0, pread 2.7, codec 2.9, block decode 3.0, cache insert 1.0 µs, timed in place). The cache
 * evicts about one block per block it inserts, so in a steady state of misses nearly every read
 * can take an evicted block's buffer instead.
 *
 * Safety is the callers' contract, kept in two places: a buffer is given back only by the block
 * cache, for a block whose `ownBuffer` is still set when it leaves (block-cache.ts), and
 * TableReader sets `ownBuffer` only on blocks its point get reads and clears it on any block an
 * iterator takes (iterators keep blocks across awaits). TableReader.get copies the value it
 * returns, so no view into such a block outlives the get. A buffer in the pool is unreachable
 * from every block, and one taken is overwritten by the read before anything parses it.
 *
 * Buffers are grouped by size class (a block's size rounded up to an eighth of its power of
 * two: at most 12.5% slack, 4,608 bytes for the 4.1-4.5 KiB blocks of a 4 KiB block size), so a
 * block's buffer fits any block of its class. The pool holds at most SPARE_BYTES_MAX, on top of
 * the block cache's capacity (its spares are memory no block uses); what would exceed it is left
 * to the garbage collector. The cache's clear() (at close) empties it.
 */
import { Buffer } from 'node:buffer'

/** Most bytes of spare buffers kept, all classes together: ~220 blocks of the 4 KiB block size. */
export const SPARE_BYTES_MAX = 1024 * 1024

/** Smallest size class step: blocks under 512 bytes round up to a multiple of 64. */
const CLASS_STEP_BYTES_MIN = 64

/** The size of the buffer a block of `sizeBytes` is read into: its class. */
export function bufferClassBytes(sizeBytes: number): number {
  const power = sizeBytes <= 1 ? 1 : 2 ** Math.floor(Math.log2(sizeBytes - 1))
  const step = Math.max(CLASS_STEP_BYTES_MIN, power / 8)
  return Math.ceil(sizeBytes / step) * step
}

/** Counters since the pool was created. */
export interface BlockBufferPoolStats {
  /** Reads served by a recycled buffer. */
  reuseCount: number
  /** Buffers given back and kept. */
  keptCount: number
  /** Bytes of spare buffers held now. */
  spareBytes: number
}

/**
 * The pool. Not thread-safe; JS is single-threaded and no method yields.
 * @example
 * ```ts
 * const pool = new BlockBufferPool()
 * const target = pool.take(4210)   // a Buffer of 4,210 bytes over a 4,608-byte ArrayBuffer
 * pool.give(target.buffer)         // once nothing can reach it any more
 * ```
 */
export class BlockBufferPool {
  readonly #spares = new Map<number, ArrayBuffer[]>()
  #spareBytes = 0
  #reuseCount = 0
  #keptCount = 0

  /**
   * A Buffer of exactly `sizeBytes` at offset 0 of an ArrayBuffer of its class, recycled when
   * one is spare. Its bytes are not initialised: the caller overwrites them all.
   */
  take(sizeBytes: number): Buffer<ArrayBuffer> {
    const classBytes = bufferClassBytes(sizeBytes)
    const spare = this.#spares.get(classBytes)?.pop()
    if (spare === undefined) return Buffer.from(Buffer.allocUnsafeSlow(classBytes).buffer, 0, sizeBytes)
    this.#spareBytes -= classBytes
    this.#reuseCount++
    return Buffer.from(spare, 0, sizeBytes)
  }

  /**
   * Gives back a buffer `take` returned, once nothing can reach its bytes. Kept while the pool
   * holds less than SPARE_BYTES_MAX; a buffer of another size (not from `take`) is ignored.
   */
  give(buffer: ArrayBuffer): void {
    const classBytes = buffer.byteLength
    if (bufferClassBytes(classBytes) !== classBytes || this.#spareBytes + classBytes > SPARE_BYTES_MAX) return
    let list = this.#spares.get(classBytes)
    if (list === undefined) {
      list = []
      this.#spares.set(classBytes, list)
    }
    list.push(buffer)
    this.#spareBytes += classBytes
    this.#keptCount++
  }

  /** Drops every spare buffer (the counters stay). */
  clear(): void {
    this.#spares.clear()
    this.#spareBytes = 0
  }

  stats(): BlockBufferPoolStats {
    return { reuseCount: this.#reuseCount, keptCount: this.#keptCount, spareBytes: this.#spareBytes }
  }
}
