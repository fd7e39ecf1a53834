/**
 * Memtable: the sorted in-memory buffer of recent writes, holding every version of every key
 * until it is flushed to a level-0 table.
 *
 * Structure: a Map from latin1 key string to the key's versions, plus the keys in order, both
 * built lazily. A write appends its version and key; the first read after writes inserts them
 * into the Map (#indexPending), and the order is built only when an iterator asks for it:
 * the keys that arrived since the last iterator are sorted into a new run, and runs are merged
 * like a binary counter (a run is merged into the one before it while that one is less than twice
 * its size), so there are at most ~log2(keys) runs and each key is merged O(log keys) times.
 * An iterator merges the runs. Merging every arrival into one ordered array instead cost a copy
 * of the whole order per iterator: one put then one short scan, repeated, on a 100k-key memtable
 * took 3.9 ms per pair (tmp script in the commit message of this change); with runs, a few µs.
 * The B+tree (`sorted-btree`) this replaced paid a tree walk of string comparisons per insert:
 * in a 200k-key fill it was the largest item of the write path (BNodeInternal.set and
 * insertInLeaf, ~30% of the fill's CPU profile): 100k keys inserted alternately into both in
 * one process on the loaded 2-core machine took 3–5 µs per insert in the tree against 0.5–1 µs
 * in the Map, and gets 1.5–3 µs against 0.2–0.6 µs (engine/memtable/memtable.bench.ts, Map:
 * insert 0.55 µs, get 0.07 µs). The price is paid by iterators: the
 * first one after n new keys sorts them (100k keys: 45–75 ms) and merges them into the order
 * (O(size)); a flush in the background worker sorts in the worker and never asks. Each key maps to
 * its versions in ascending seqno order; versions are only ever appended, so a captured prefix
 * of the array is stable. Single-threaded: callers must not insert while another call is in
 * progress (JS guarantees it).
 *
 * Versions live in VersionColumns (typed arrays, no object per version: see version-columns.ts);
 * the Map holds version indexes.
 *
 * With per-KV checksums on (docs/per-kv-checksums.md) each version also carries the CRC of
 * (key, seqno, kind, value) computed in add(), the moment the write enters the engine; get() and
 * iterators' value() verify it, so a flush writes no entry the memtable damaged. Off (default),
 * versions have no checksum and reads pay one boolean test.
 */
import assert from 'node:assert/strict'
import type { EntryKind, RangeTombstone } from '../entry.ts'
import type { InternalIterator } from '../iterator/internal-iterator.ts'
import { StrataError } from '../errors.ts'
import { kvChecksum, NO_KV_CHECKSUM } from '../transform/kv-checksum.ts'
import { MergingIterator } from '../iterator/merging-iterator.ts'
import { VersionColumns } from './version-columns.ts'

/** One key's version indexes: a lone index (the common case, no array) or all of them, oldest first. */
type Slot = number | number[]

/** One stored version, as get() returns it. */
export interface MemVersion {
  readonly seqno: number
  readonly kind: EntryKind
  readonly value: Uint8Array
  /** kvChecksum(key, seqno, kind, value), present only when per-KV checksums are on. */
  readonly checksum?: number
}

/** Options of a Memtable. */
export interface MemtableOptions {
  /** Compute a per-KV checksum at add() and verify it on every read. Default false. */
  perKeyChecksums?: boolean
}

/**
 * Returns `value` (version `index` of `key`, read once by the caller) after checking it, with its
 * seqno and kind, against the checksum add() computed: CHECKSUM_MISMATCH otherwise.
 */
function verifiedValue(key: string, versions: VersionColumns, index: number, value: Uint8Array): Uint8Array {
  const seqno = versions.seqno(index)
  if (kvChecksum(key, seqno, versions.kind(index), value) === versions.checksum(index)) return value
  throw new StrataError('CHECKSUM_MISMATCH', `Cannot read ${JSON.stringify(key)} at seqno ${seqno} from the memtable: per-KV checksum mismatch`,
    { details: { fileName: 'memtable', seqno } })
}

/** Bookkeeping bytes charged per version on top of key and value (Map entry, version columns, key-order slot). */
const VERSION_OVERHEAD_BYTES = 64

/** Merges two ascending arrays of distinct strings into a new one. */
function mergeSorted(left: readonly string[], right: readonly string[]): string[] {
  const merged = new Array<string>(left.length + right.length)
  let l = 0
  let r = 0
  let out = 0
  while (l < left.length && r < right.length) merged[out++] = left[l] < right[r] ? left[l++] : right[r++]
  while (l < left.length) merged[out++] = left[l++]
  while (r < right.length) merged[out++] = right[r++]
  return merged
}

/**
 * Most versions add() leaves unindexed: past it add() indexes them. This bounds the stall of the
 * first read after a write burst, which indexes what is pending in the memtable and in each frozen
 * one not yet flushed (immutableMemtableCountMax, default 2): 16,384 pending keys took 2.6-6.2 ms
 * to index here (first get after that many adds, 3 runs; 65,536 took 10.5-19.4 ms), so a read
 * waits at most ~3 x 6 ms. A default 4 MiB memtable of 256-byte values holds ~13k versions and is
 * never indexed when no one reads it; memtables of smaller values index in steps of this many.
 */
export const PENDING_KEY_COUNT_MAX = 16384

/** The memtable; `sizeBytes` approximates its heap footprint for the flush budget. */
export class Memtable {
  readonly #slots = new Map<string, Slot>()
  readonly #versions: VersionColumns
  /**
   * Every key as of the last #sortedRuns(), in sorted runs (largest first; keys distinct across
   * runs). A run is replaced, never changed, so an open iterator keeps walking the arrays it got.
   */
  #runs: string[][] = []
  /** Keys indexed since #runs was last built, in arrival order. */
  #unsorted: string[] = []
  /**
   * Keys of the versions add() appended but #slots does not index yet, in arrival order: the
   * version of pendingKeys[i] has index #indexedVersionCount + i. See #indexPending().
   */
  #pendingKeys: string[] = []
  #indexedVersionCount = 0
  #frozen = false
  readonly rangeTombstones: RangeTombstone[] = []
  #sizeBytes = 0
  #entryCount = 0
  #smallestSeqno = Number.POSITIVE_INFINITY
  #largestSeqno = 0
  readonly #perKeyChecksums: boolean

  constructor(options: MemtableOptions = {}) {
    this.#perKeyChecksums = options.perKeyChecksums ?? false
    this.#versions = new VersionColumns(this.#perKeyChecksums)
  }

  get perKeyChecksums(): boolean {
    return this.#perKeyChecksums
  }

  get sizeBytes(): number {
    return this.#sizeBytes
  }
  get entryCount(): number {
    return this.#entryCount
  }
  get largestSeqno(): number {
    return this.#largestSeqno
  }
  get smallestSeqno(): number {
    return this.#smallestSeqno
  }
  isEmpty(): boolean {
    return this.#entryCount === 0 && this.rangeTombstones.length === 0
  }

  /**
   * Adds a version whose value is `bytes[offsetBytes, offsetBytes + sizeBytes)` (the whole of
   * `bytes` by default). The memtable keeps `bytes`: the caller must not write to it afterwards.
   */
  add(key: string, seqno: number, kind: EntryKind, bytes: Uint8Array, offsetBytes = 0, sizeBytes = bytes.length - offsetBytes): void {
    assert(!this.#frozen, 'add() on a frozen memtable')
    const checksum = this.#perKeyChecksums ? kvChecksum(key, seqno, kind, bytes.subarray(offsetBytes, offsetBytes + sizeBytes)) : 0
    this.#versions.append(seqno, kind, bytes, offsetBytes, sizeBytes, checksum)
    if (this.#pendingKeys.push(key) >= PENDING_KEY_COUNT_MAX) this.#indexPending()
    this.#sizeBytes += key.length + sizeBytes + VERSION_OVERHEAD_BYTES
    this.#entryCount++
    this.#noteSeqno(seqno)
  }

  addRangeTombstone(tombstone: RangeTombstone): void {
    assert(!this.#frozen, 'addRangeTombstone() on a frozen memtable')
    this.rangeTombstones.push(tombstone)
    this.#sizeBytes += tombstone.start.length + tombstone.end.length + VERSION_OVERHEAD_BYTES
    this.#noteSeqno(tombstone.seqno)
  }

  /**
   * Indexes the versions add() left pending: Map entries and the key order are built when a
   * reader first needs them, not per put. Over eight 200k-key fills into a memtable large enough
   * to take them, add() (mostly its Map insert) held 899 ms of the main thread's CPU profile and
   * GC 546 ms; deferred, add() 36 ms and GC 366 ms. A memtable flushed by the background worker (which
   * rebuilds it from the WAL) and never read is never indexed. The price moves to the first read
   * after a write burst, as the key sort already does (see the header): a get after 100k puts
   * with no read between took 18-33 ms, the next one 6-65 µs (tmp script in the commit message);
   * reads interleaved with writes index a few keys each. Reads right after a load do not lose by
   * it: `strata bench run --engines strata --workloads readrandom,readwhilewriting --keys 200000
   * --ops 200000 --value-size 256 --repetitions 1 --warmup 0 --cache warm`, eight runs of this
   * tree alternating with one indexing every add() (PENDING_KEY_COUNT_MAX = 1), 2026-11-26, load
   * 1.4-4.4: medians 162,914 vs 152,539 reads/s and 169,857 vs 161,763 in readwhilewriting. That
   * readwhilewriting was a second read-after-load figure, not reads among writes: its writer
   * wrote one batch for engines whose gets resolve without I/O (fixed the same day:
   * benchsuite/workloads/read-while-writing.ts), so the interleaved case is not measured here.
   */
  #indexPending(): void {
    // add() also calls this every PENDING_KEY_COUNT_MAX keys, which bounds the stall.
    const keys = this.#pendingKeys
    if (keys.length === 0) return
    const slots = this.#slots
    let version = this.#indexedVersionCount
    for (let index = 0; index < keys.length; index++, version++) {
      const key = keys[index]
      const slot = slots.get(key)
      if (slot === undefined) {
        slots.set(key, version)
        this.#unsorted.push(key)
      } else if (typeof slot === 'number') slots.set(key, [slot, version])
      else slot.push(version)
    }
    this.#indexedVersionCount = version
    this.#pendingKeys = []
  }

  #noteSeqno(seqno: number): void {
    if (seqno < this.#smallestSeqno) this.#smallestSeqno = seqno
    if (seqno > this.#largestSeqno) this.#largestSeqno = seqno
  }

  /** The newest version of `key` with seqno <= `snapshotSeqno`, or undefined. */
  get(key: string, snapshotSeqno: number): MemVersion | undefined {
    // Every get after a flush asks the fresh, empty memtable first: no Map lookup (which hashes
    // the key) for it.
    if (this.#entryCount === 0) return undefined
    const index = this.#find(key, snapshotSeqno)
    if (index < 0) return undefined
    const versions = this.#versions
    const seqno = versions.seqno(index)
    const kind = versions.kind(index)
    const value = versions.value(index)
    if (!this.#perKeyChecksums) return { seqno, kind, value }
    return { seqno, kind, value: verifiedValue(key, versions, index, value), checksum: versions.checksum(index) }
  }

  /** The index of the newest version of `key` with seqno <= `snapshotSeqno`, or -1. */
  #find(key: string, snapshotSeqno: number): number {
    this.#indexPending()
    const slot = this.#slots.get(key)
    if (slot === undefined) return -1
    const versions = this.#versions
    if (typeof slot === 'number') return versions.seqno(slot) <= snapshotSeqno ? slot : -1
    for (let index = slot.length - 1; index >= 0; index--) {
      if (versions.seqno(slot[index]) <= snapshotSeqno) return slot[index]
    }
    return -1
  }

  /** Marks the memtable immutable (it is about to be flushed): add() refuses from now on. */
  freeze(): void {
    this.#frozen = true
  }

  /** The sorted runs, after the keys that arrived since the last call became one (merged as above). */
  #sortedRuns(): readonly string[][] {
    this.#indexPending()
    if (this.#unsorted.length > 0) {
      // Default sort compares UTF-16 code units: for latin1 key strings, bytewise order.
      let run = this.#unsorted.sort()
      this.#unsorted = []
      const runs = this.#runs
      while (runs.length > 0 && runs[runs.length - 1].length < 2 * run.length) run = mergeSorted(runs.pop() as string[], run)
      runs.push(run)
    }
    return this.#runs
  }

  /** Versions add() appended that the Map does not index yet (at most PENDING_KEY_COUNT_MAX - 1). */
  get pendingKeyCount(): number {
    return this.#pendingKeys.length
  }

  /** Sorted runs the keys are held in now (at most ~log2 of the key count); for tests and diagnostics. */
  get sortedRunCount(): number {
    return this.#sortedRuns().length
  }

  iterator(): InternalIterator {
    const runs = this.#sortedRuns()
    if (runs.length <= 1) return new MemtableIterator(runs[0] ?? [], this.#slots, this.#versions, this.#perKeyChecksums)
    return new MergingIterator(runs.map((run) => new MemtableIterator(run, this.#slots, this.#versions, this.#perKeyChecksums)))
  }
}

function versionCount(slot: Slot): number {
  return typeof slot === 'number' ? 1 : slot.length
}

/** The version index at internal position `index` (0 = newest) of a slot whose first `count` versions are seen. */
function versionAt(slot: Slot, count: number, index: number): number {
  return typeof slot === 'number' ? slot : slot[count - 1 - index]
}

/**
 * Walks a memtable in internal order over the sorted key array it was given; positions are
 * (key index, version index). Robust to inserts while it is open: keys that arrived later are
 * not in its array, and it sees each key's versions as captured when it arrived there; both
 * carry seqnos newer than any reader of this iterator can see.
 */
class MemtableIterator implements InternalIterator {
  readonly #keys: readonly string[]
  readonly #slots: ReadonlyMap<string, Slot>
  readonly #versions: VersionColumns
  /** Key position; -1 or keys.length when not valid. */
  #keyIndex = -1
  #slot: Slot | undefined = undefined
  /** Versions of the current key when the iterator arrived there. */
  #count = 0
  /** Position within the key in internal order: 0 = newest captured version. */
  #index = 0
  readonly #verify: boolean

  constructor(keys: readonly string[], slots: ReadonlyMap<string, Slot>, versions: VersionColumns, verify: boolean) {
    this.#keys = keys
    this.#slots = slots
    this.#versions = versions
    this.#verify = verify
  }

  #land(keyIndex: number, atNewest: boolean): void {
    this.#keyIndex = keyIndex
    if (keyIndex < 0 || keyIndex >= this.#keys.length) {
      this.#slot = undefined
      return
    }
    const slot = this.#slots.get(this.#keys[keyIndex])!
    this.#slot = slot
    this.#count = versionCount(slot)
    this.#index = atNewest ? 0 : this.#count - 1
  }

  /** First key position whose key is >= key. */
  #lowerBound(key: string): number {
    let low = 0
    let high = this.#keys.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#keys[middle] < key) low = middle + 1
      else high = middle
    }
    return low
  }

  valid(): boolean {
    return this.#slot !== undefined
  }
  seekToFirst(): void {
    this.#land(0, true)
  }
  seekToLast(): void {
    this.#land(this.#keys.length - 1, false)
  }
  seek(key: string): void {
    this.#land(this.#lowerBound(key), true)
  }
  seekForPrev(key: string): void {
    const index = this.#lowerBound(key)
    this.#land(index < this.#keys.length && this.#keys[index] === key ? index : index - 1, false)
  }
  next(): void {
    if (this.#index + 1 < this.#count) this.#index++
    else this.#land(this.#keyIndex + 1, true)
  }
  prev(): void {
    if (this.#index > 0) this.#index--
    else this.#land(this.#keyIndex - 1, false)
  }
  #version(): number {
    return versionAt(this.#slot!, this.#count, this.#index)
  }
  key(): string {
    return this.#keys[this.#keyIndex]
  }
  seqno(): number {
    return this.#versions.seqno(this.#version())
  }
  kind(): EntryKind {
    return this.#versions.kind(this.#version())
  }
  value(): Uint8Array {
    const version = this.#version()
    const value = this.#versions.value(version)
    return this.#verify ? verifiedValue(this.key(), this.#versions, version, value) : value
  }
  /** The CRC add() computed; value() verifies the entry against it. */
  checksum(): number {
    return this.#verify ? this.#versions.checksum(this.#version())! : NO_KV_CHECKSUM
  }
  close(): void {
    this.#slot = undefined
  }
}
