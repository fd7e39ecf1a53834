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
 *
 * Layout: off the JS heap, in two typed arrays allocated at the first record. A Map of key
 * strings to handle objects (the first version) put two heap objects per key in every major
 * GC's marking: with the 32,768 keys of the issue #4 read, 4.6 MiB more heap made each major GC
 * 11.1 ms instead of 6.8 ms (one every ~2,400 gets of 16 KiB), more than the lookups it saved.
 * - records: a ring of `[header 32 B][key]` records, appended at `#head` and reclaimed from
 *   `#tail` (oldest first: FIFO eviction, so a hit never reorders anything);
 * - index: open addressing with linear probing, one slot per record (record offset, key hash),
 *   at most 70% full; deletion shifts the following slots back, so there are no tombstones.
 */
import assert from 'node:assert/strict'
import { murmur3Hash32 } from '../engine/table/mod.ts'
import type { BlobHandle } from './handle.ts'

/**
 * Record header (offsets within a record; a record starts at a multiple of 8 in the ring):
 * | offset | size | field             | encoding                                     |
 * |-------:|-----:|-------------------|----------------------------------------------|
 * |      0 |    8 | fileNumber        | f64                                          |
 * |      8 |    8 | offsetBytes       | f64                                          |
 * |     16 |    4 | frameSizeBytes    | u32                                          |
 * |     20 |    4 | rawValueSizeBytes | u32                                          |
 * |     24 |    2 | keySizeBytes      | u16                                          |
 * |     26 |    1 | state             | RecordState                                  |
 * |     27 |    1 | reserved          | zero                                         |
 * |     28 |    4 | hash              | u32 key hash; a padding record's size instead |
 * |     32 |    k | key               | the key's latin1 char codes                  |
 * Not on disk: the layout only has to agree with itself within one process.
 */
const RECORD_HEADER_SIZE_BYTES = 32
const RecordState = { Dead: 0, Live: 1, Padding: 2 } as const

/** Longest key cached: a u16 in the header; longer keys (rare, and costly to hash) go through the index. */
export const HANDLE_CACHE_KEY_SIZE_BYTES_MAX = 1024

/** Share of the budget the record ring gets; the index gets the rest. */
const RING_SHARE = 0.75

/** Index slots stay at most this full: linear probing slows sharply past ~0.7. */
const INDEX_LOAD_MAX = 0.7

/** Smallest budget that holds one record of a short key and an index of 8 slots; below it the cache is off. */
const CAPACITY_BYTES_MIN = 256

const EMPTY_SLOT = -1

/** Counters and size of the handle cache, for `stats().blob.handleCache`. */
export interface HandleCacheStats {
  /** Keys with a remembered handle now. */
  entryCount: number
  /** Bytes of the record ring in use: live records, and forgotten ones not yet reclaimed. */
  sizeBytes: number
  /** The budget (`kvSeparation.handleCacheSizeBytes`): ring and index together. */
  capacityBytes: number
  /** Gets and valueSize() calls since open that took the key's handle from here (no LSM lookup). */
  hitCount: number
  /** Live entries dropped since open to make room (oldest recorded first). */
  evictionCount: number
}

/** Key to latest handle, bounded by bytes; evicts the oldest recorded entry first (FIFO). */
export class HandleCache {
  readonly #capacityBytes: number
  readonly #ringSizeBytes: number
  readonly #slotCount: number
  readonly #liveCountMax: number
  #ring: Uint8Array | undefined
  #view: DataView | undefined
  /** Per slot: the record's offset in the ring, or EMPTY_SLOT. */
  #slotOffsets: Int32Array | undefined
  /** Per slot: the record's key hash (saves a ring access per probe). */
  #slotHashes: Uint32Array | undefined
  #head = 0
  #tail = 0
  #usedBytes = 0
  #liveCount = 0
  #hitCount = 0
  #evictionCount = 0

  /** False when the capacity is below CAPACITY_BYTES_MIN: nothing is ever recorded. */
  get enabled(): boolean {
    return this.#ringSizeBytes > 0
  }

  /** `capacityBytes` 0 (or below 256) turns the cache off. */
  constructor(capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, 'handle cache capacity is a byte count')
    this.#capacityBytes = capacityBytes
    if (capacityBytes < CAPACITY_BYTES_MIN) {
      this.#ringSizeBytes = 0
      this.#slotCount = 0
      this.#liveCountMax = 0
      return
    }
    this.#ringSizeBytes = Math.floor((capacityBytes * RING_SHARE) / 8) * 8
    // Slots of 8 bytes (offset and hash): the largest power of two the rest of the budget holds.
    this.#slotCount = 2 ** Math.floor(Math.log2((capacityBytes - this.#ringSizeBytes) / 8))
    this.#liveCountMax = Math.floor(this.#slotCount * INDEX_LOAD_MAX)
    assert(this.#ringSizeBytes + this.#slotCount * 8 <= capacityBytes)
    assert(this.#slotCount >= 8)
  }

  /** The key's remembered handle (a fresh object); counts a hit. */
  get(key: string): BlobHandle | undefined {
    const view = this.#view
    if (view === undefined || this.#liveCount === 0) return undefined
    const slot = this.#find(key, murmur3Hash32(key))
    if (slot === EMPTY_SLOT) return undefined
    this.#hitCount++
    const offset = this.#slotOffsets![slot]
    return {
      fileNumber: view.getFloat64(offset, true),
      offsetBytes: view.getFloat64(offset + 8, true),
      frameSizeBytes: view.getUint32(offset + 16, true),
      rawValueSizeBytes: view.getUint32(offset + 20, true),
    }
  }

  record(key: string, handle: BlobHandle): void {
    const recordSizeBytes = alignTo8(RECORD_HEADER_SIZE_BYTES + key.length)
    if (key.length > HANDLE_CACHE_KEY_SIZE_BYTES_MAX || recordSizeBytes > this.#ringSizeBytes) return
    if (this.#view === undefined) this.#allocate()
    const hash = murmur3Hash32(key)
    const existing = this.#find(key, hash)
    if (existing !== EMPTY_SLOT) this.#removeSlot(existing)
    while (this.#liveCount >= this.#liveCountMax) this.#reclaimOldest()
    const offset = this.#reserve(recordSizeBytes)
    const ring = this.#ring!
    const view = this.#view!
    view.setFloat64(offset, handle.fileNumber, true)
    view.setFloat64(offset + 8, handle.offsetBytes, true)
    view.setUint32(offset + 16, handle.frameSizeBytes, true)
    view.setUint32(offset + 20, handle.rawValueSizeBytes, true)
    view.setUint16(offset + 24, key.length, true)
    ring[offset + 26] = RecordState.Live
    ring[offset + 27] = 0
    view.setUint32(offset + 28, hash, true)
    for (let index = 0; index < key.length; index++) ring[offset + RECORD_HEADER_SIZE_BYTES + index] = key.charCodeAt(index)
    this.#insertSlot(offset, hash)
    this.#liveCount++
  }

  forget(key: string): void {
    if (this.#liveCount === 0) return
    const slot = this.#find(key, murmur3Hash32(key))
    if (slot !== EMPTY_SLOT) this.#removeSlot(slot)
  }

  clear(): void {
    this.#slotOffsets?.fill(EMPTY_SLOT)
    this.#head = 0
    this.#tail = 0
    this.#usedBytes = 0
    this.#liveCount = 0
  }

  get size(): number {
    return this.#liveCount
  }

  stats(): HandleCacheStats {
    return { entryCount: this.#liveCount, sizeBytes: this.#usedBytes, capacityBytes: this.#capacityBytes, hitCount: this.#hitCount, evictionCount: this.#evictionCount }
  }

  #allocate(): void {
    this.#ring = new Uint8Array(this.#ringSizeBytes)
    this.#view = new DataView(this.#ring.buffer)
    this.#slotOffsets = new Int32Array(this.#slotCount).fill(EMPTY_SLOT)
    this.#slotHashes = new Uint32Array(this.#slotCount)
  }

  /** The slot of `key`'s live record, or EMPTY_SLOT. */
  #find(key: string, hash: number): number {
    const offsets = this.#slotOffsets
    if (offsets === undefined) return EMPTY_SLOT
    const hashes = this.#slotHashes!
    const mask = this.#slotCount - 1
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const offset = offsets[slot]
      if (offset === EMPTY_SLOT) return EMPTY_SLOT
      if (hashes[slot] === hash && this.#keyEquals(offset, key)) return slot
    }
  }

  #keyEquals(offset: number, key: string): boolean {
    if (this.#view!.getUint16(offset + 24, true) !== key.length) return false
    const ring = this.#ring!
    const keyOffset = offset + RECORD_HEADER_SIZE_BYTES
    for (let index = 0; index < key.length; index++) if (ring[keyOffset + index] !== key.charCodeAt(index)) return false
    return true
  }

  #insertSlot(offset: number, hash: number): void {
    const offsets = this.#slotOffsets!
    const mask = this.#slotCount - 1
    let slot = hash & mask
    while (offsets[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask
    offsets[slot] = offset
    this.#slotHashes![slot] = hash
  }

  /** Drops a slot's record from the index (its ring bytes wait for the tail), shifting later slots back. */
  #removeSlot(slot: number): void {
    const offsets = this.#slotOffsets!
    const hashes = this.#slotHashes!
    const mask = this.#slotCount - 1
    this.#ring![offsets[slot] + 26] = RecordState.Dead
    this.#liveCount--
    let hole = slot
    offsets[hole] = EMPTY_SLOT
    for (let next = (hole + 1) & mask; offsets[next] !== EMPTY_SLOT; next = (next + 1) & mask) {
      const home = hashes[next] & mask
      // The entry at `next` may move into the hole unless its home lies cyclically in (hole, next].
      const staysPut = hole <= next ? hole < home && home <= next : hole < home || home <= next
      if (staysPut) continue
      offsets[hole] = offsets[next]
      hashes[hole] = hashes[next]
      offsets[next] = EMPTY_SLOT
      hole = next
    }
  }

  /** The ring offset of `sizeBytes` free contiguous bytes at the head, reclaiming the oldest records as needed. */
  #reserve(sizeBytes: number): number {
    for (;;) {
      if (this.#usedBytes === 0) {
        this.#head = 0
        this.#tail = 0
      }
      const wrapped = this.#head < this.#tail || (this.#head === this.#tail && this.#usedBytes > 0)
      if (!wrapped) {
        if (this.#ringSizeBytes - this.#head >= sizeBytes) break
        if (this.#tail >= sizeBytes) {
          this.#padToEnd()
          continue
        }
      } else if (this.#tail - this.#head >= sizeBytes) {
        break
      }
      this.#reclaimOldest()
    }
    const offset = this.#head
    this.#head += sizeBytes
    this.#usedBytes += sizeBytes
    return offset
  }

  /** Marks the ring's end after the head as padding and moves the head to the start. */
  #padToEnd(): void {
    const paddingBytes = this.#ringSizeBytes - this.#head
    // Fewer bytes than a header need no marker: no record can start there, and the tail knows it.
    if (paddingBytes >= RECORD_HEADER_SIZE_BYTES) {
      this.#ring![this.#head + 26] = RecordState.Padding
      this.#view!.setUint32(this.#head + 28, paddingBytes, true)
    }
    this.#usedBytes += paddingBytes
    this.#head = 0
  }

  /** Reclaims the record (or padding) at the tail; a live record leaves the index, counted as an eviction. */
  #reclaimOldest(): void {
    assert(this.#usedBytes > 0, 'reclaiming from an empty handle cache ring')
    const tail = this.#tail
    let sizeBytes: number
    if (this.#ringSizeBytes - tail < RECORD_HEADER_SIZE_BYTES) {
      sizeBytes = this.#ringSizeBytes - tail
    } else {
      const state = this.#ring![tail + 26]
      if (state === RecordState.Padding) {
        sizeBytes = this.#view!.getUint32(tail + 28, true)
      } else {
        sizeBytes = alignTo8(RECORD_HEADER_SIZE_BYTES + this.#view!.getUint16(tail + 24, true))
        if (state === RecordState.Live) {
          this.#removeSlot(this.#slotOf(tail))
          this.#evictionCount++
        }
      }
    }
    this.#usedBytes -= sizeBytes
    this.#tail = tail + sizeBytes === this.#ringSizeBytes ? 0 : tail + sizeBytes
    assert(this.#tail < this.#ringSizeBytes && this.#usedBytes >= 0)
  }

  /** The index slot of the live record at ring `offset`. */
  #slotOf(offset: number): number {
    const offsets = this.#slotOffsets!
    const mask = this.#slotCount - 1
    for (let slot = this.#view!.getUint32(offset + 28, true) & mask; ; slot = (slot + 1) & mask) {
      assert(offsets[slot] !== EMPTY_SLOT, 'a live handle cache record is in the index')
      if (offsets[slot] === offset) return slot
    }
  }
}

function alignTo8(sizeBytes: number): number {
  return (sizeBytes + 7) & ~7
}
