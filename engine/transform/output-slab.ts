/**
 * OutputSlab: hands out the encoded blocks of one codec as views into 64 KiB slabs.
 *
 * Why: every `new Uint8Array(n)` of a few KiB is a fresh off-heap ArrayBuffer, which costs
 * ~1.7 µs on this VM (measured with engine/transform/pipeline.bench.ts): about 5% of a 4 KiB
 * block's full encode, and the largest gap between the pipeline and the sum of its parts.
 * Carving 16 blocks out of one ArrayBuffer pays that once per slab.
 *
 * A region is never handed out twice: a slab is dropped (not recycled) once full, so a block
 * stays valid for as long as anyone holds it, and the slab's memory is freed when its last
 * block is. The price is retention: a long-lived block keeps its whole slab alive. Encoded
 * blocks are written and dropped (table, blob and manifest writers), so that is at most the
 * slab in use plus the blocks still queued for a write. Blocks larger than a quarter slab get
 * an ArrayBuffer of their own, so one large block never strands most of a slab.
 * Callers must honour `byteOffset` (a block does not start at byte 0 of its buffer).
 */

/** Size of one slab. 64 KiB: 16 blocks of the default 4 KiB, and small enough to strand cheaply. */
export const OUTPUT_SLAB_SIZE_BYTES = 64 * 1024
const DEDICATED_SIZE_BYTES_MIN = OUTPUT_SLAB_SIZE_BYTES / 4

/**
 * Allocates never-reused, zero-initialised regions.
 * @example
 * ```ts
 * const slab = new OutputSlab()
 * const out = slab.allocate(4120) // a view; out.byteOffset may be > 0
 * ```
 */
export class OutputSlab {
  #slab = new Uint8Array(0)
  #usedBytes = 0

  /** A new region of `sizeBytes` zero bytes that no other call returns. */
  allocate(sizeBytes: number): Uint8Array {
    if (sizeBytes >= DEDICATED_SIZE_BYTES_MIN) return new Uint8Array(sizeBytes)
    if (this.#usedBytes + sizeBytes > this.#slab.length) {
      this.#slab = new Uint8Array(OUTPUT_SLAB_SIZE_BYTES)
      this.#usedBytes = 0
    }
    const start = this.#usedBytes
    // 8-byte alignment keeps each block's start aligned like a fresh buffer's, for typed-array
    // views a caller may lay over it.
    this.#usedBytes = (start + sizeBytes + 7) & ~7
    return this.#slab.subarray(start, start + sizeBytes)
  }
}
