/**
 * Version columns: the memtable's versions stored column-wise in typed arrays, addressed by a
 * version index, with each value kept as a range of a buffer shared by its batch (the WAL record
 * payload).
 *
 * Why columns and not an object per version: every version lives until its memtable is flushed,
 * so each per-put object (a version record, a Buffer view per value) was copied by the
 * young-generation GC and then promoted. Over eight 200k-key fills in batches of 1000 into a
 * memtable large enough to take them, the main thread's CPU profile held 592 ms of GC with a
 * version object per put and 546 ms with these columns (one run each: a small gain; the larger
 * one came with the lazy index in memtable.ts). A version here is five array slots and no heap
 * object: what a put leaves for the GC is its key string.
 *
 * Indexes are 0..count - 1 in arrival order. Single-threaded, append-only: an index, once
 * returned, always reads the same version.
 */
import assert from 'node:assert/strict'
import type { EntryKind } from '../entry.ts'

/** Versions the columns hold before their first growth; each growth doubles them. */
const VERSION_CAPACITY_COUNT_MIN = 1024

/** The columns of a memtable's versions. */
export class VersionColumns {
  #seqnos = new Float64Array(VERSION_CAPACITY_COUNT_MIN)
  #kinds = new Uint8Array(VERSION_CAPACITY_COUNT_MIN)
  #payloadIndexes = new Uint32Array(VERSION_CAPACITY_COUNT_MIN)
  #offsetsBytes = new Uint32Array(VERSION_CAPACITY_COUNT_MIN)
  #sizesBytes = new Uint32Array(VERSION_CAPACITY_COUNT_MIN)
  /** kvChecksum of each version; present only when per-KV checksums are on. */
  #checksums: Uint32Array | undefined
  /** The buffers values are ranges of; consecutive versions of one batch share an entry. */
  readonly #payloads: Uint8Array[] = []
  #count = 0

  constructor(withChecksums: boolean) {
    if (withChecksums) this.#checksums = new Uint32Array(VERSION_CAPACITY_COUNT_MIN)
  }

  get count(): number {
    return this.#count
  }

  /**
   * Appends a version whose value is `bytes[offsetBytes, offsetBytes + sizeBytes)` and returns
   * its index. `bytes` is kept, not copied: the caller must not write to it afterwards.
   */
  append(seqno: number, kind: EntryKind, bytes: Uint8Array, offsetBytes: number, sizeBytes: number, checksum: number): number {
    assert(offsetBytes + sizeBytes <= bytes.length, 'version value runs past its buffer')
    if (this.#count === this.#seqnos.length) this.#grow()
    const payloads = this.#payloads
    if (payloads.length === 0 || payloads[payloads.length - 1] !== bytes) payloads.push(bytes)
    const index = this.#count++
    this.#seqnos[index] = seqno
    this.#kinds[index] = kind
    this.#payloadIndexes[index] = payloads.length - 1
    this.#offsetsBytes[index] = offsetBytes
    this.#sizesBytes[index] = sizeBytes
    if (this.#checksums !== undefined) this.#checksums[index] = checksum
    return index
  }

  #grow(): void {
    const capacity = 2 * this.#seqnos.length
    this.#seqnos = grown(this.#seqnos, new Float64Array(capacity))
    this.#kinds = grown(this.#kinds, new Uint8Array(capacity))
    this.#payloadIndexes = grown(this.#payloadIndexes, new Uint32Array(capacity))
    this.#offsetsBytes = grown(this.#offsetsBytes, new Uint32Array(capacity))
    this.#sizesBytes = grown(this.#sizesBytes, new Uint32Array(capacity))
    if (this.#checksums !== undefined) this.#checksums = grown(this.#checksums, new Uint32Array(capacity))
  }

  seqno(index: number): number {
    return this.#seqnos[index]
  }

  kind(index: number): EntryKind {
    return this.#kinds[index] as EntryKind
  }

  /** The stored checksum, or undefined when the columns keep none. */
  checksum(index: number): number | undefined {
    return this.#checksums?.[index]
  }

  /** The value as a view of its shared buffer (the buffer itself when the value is all of it). */
  value(index: number): Uint8Array {
    const bytes = this.#payloads[this.#payloadIndexes[index]]
    const offsetBytes = this.#offsetsBytes[index]
    const sizeBytes = this.#sizesBytes[index]
    if (offsetBytes === 0 && sizeBytes === bytes.length) return bytes
    return new Uint8Array(bytes.buffer, bytes.byteOffset + offsetBytes, sizeBytes)
  }
}

/** `target` holding a copy of `source` at its start. */
function grown<T extends Float64Array | Uint32Array | Uint8Array>(source: T, target: T): T {
  target.set(source)
  return target
}
