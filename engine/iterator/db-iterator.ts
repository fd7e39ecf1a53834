/**
 * DbIterator: the user-visible stream. It turns the merged internal stream (every version,
 * tombstones included) into the newest version of each key visible at the iterator's snapshot,
 * hides point and range deletions, and applies the bounds, direction and limit.
 * Synchronous stepping; the async API in db.ts wraps it.
 */
import { EntryKind } from '../entry.ts'
import type { InternalIterator } from './internal-iterator.ts'
import type { TombstoneSet } from './tombstone-set.ts'

/** Bounds as latin1 strings; any may be absent. */
export interface KeyBounds {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
}

/** One visible entry: key, kind (Put or BlobHandle) and the stored value or handle. */
export interface VisibleEntry {
  key: string
  kind: EntryKind
  value: Uint8Array
}

export class DbIterator {
  readonly #internal: InternalIterator
  readonly #snapshotSeqno: number
  readonly #tombstones: TombstoneSet
  readonly #bounds: KeyBounds
  readonly #reverse: boolean
  #remaining: number
  #started = false
  #lastKey: string | undefined = undefined

  constructor(
    internal: InternalIterator,
    snapshotSeqno: number,
    tombstones: TombstoneSet,
    options: { bounds: KeyBounds; reverse: boolean; limit: number },
  ) {
    this.#internal = internal
    this.#snapshotSeqno = snapshotSeqno
    this.#tombstones = tombstones
    this.#bounds = options.bounds
    this.#reverse = options.reverse
    this.#remaining = options.limit < 0 ? Number.POSITIVE_INFINITY : options.limit
  }

  #aboveLower(key: string): boolean {
    const { gt, gte } = this.#bounds
    return (gt === undefined || key > gt) && (gte === undefined || key >= gte)
  }
  #belowUpper(key: string): boolean {
    const { lt, lte } = this.#bounds
    return (lt === undefined || key < lt) && (lte === undefined || key <= lte)
  }

  #start(): void {
    this.#started = true
    const { gt, gte, lt, lte } = this.#bounds
    if (!this.#reverse) {
      const lower = gte ?? gt
      if (lower === undefined) this.#internal.seekToFirst()
      else this.#internal.seek(gte !== undefined && gt !== undefined ? (gt > gte ? gt : gte) : lower)
    } else {
      const upper = lte ?? lt
      if (upper === undefined) this.#internal.seekToLast()
      else this.#internal.seekForPrev(lte !== undefined && lt !== undefined ? (lt < lte ? lt : lte) : upper)
    }
  }

  /**
   * Moves to `target`: the next entry returned is the first key >= target (forward) or the last
   * key <= target (reverse), still within the bounds. Counts towards nothing; the limit stays.
   */
  seek(target: string): void {
    this.#started = true
    this.#lastKey = undefined
    if (!this.#reverse) this.#internal.seek(target)
    else this.#internal.seekForPrev(target)
  }

  /** The next visible entry, or undefined at the end (or when the limit is used up). */
  next(): VisibleEntry | undefined {
    if (this.#remaining <= 0) return undefined
    if (!this.#started) this.#start()
    const entry = this.#reverse ? this.#previousVisible() : this.#nextVisible()
    if (entry !== undefined) this.#remaining--
    return entry
  }

  #nextVisible(): VisibleEntry | undefined {
    const internal = this.#internal
    while (internal.valid()) {
      const key = internal.key()
      if (!this.#belowUpper(key)) return undefined
      const seqno = internal.seqno()
      if (seqno > this.#snapshotSeqno || key === this.#lastKey || !this.#aboveLower(key)) {
        internal.next()
        continue
      }
      // The first visible version of a new key decides it.
      this.#lastKey = key
      const kind = internal.kind()
      const value = internal.value()
      internal.next()
      if (kind === EntryKind.Delete || this.#tombstones.covers(key, seqno, this.#snapshotSeqno)) continue
      return { key, kind, value }
    }
    return undefined
  }

  #previousVisible(): VisibleEntry | undefined {
    const internal = this.#internal
    while (internal.valid()) {
      const key = internal.key()
      if (!this.#aboveLower(key)) return undefined
      // Backwards, a key's versions arrive oldest first: the last visible one is the newest.
      let bestSeqno = -1
      let bestKind: EntryKind = EntryKind.Delete
      let bestValue: Uint8Array | undefined
      while (internal.valid() && internal.key() === key) {
        const seqno = internal.seqno()
        if (seqno <= this.#snapshotSeqno) {
          bestSeqno = seqno
          bestKind = internal.kind()
          bestValue = internal.value()
        }
        internal.prev()
      }
      if (bestValue === undefined || !this.#belowUpper(key)) continue
      if (bestKind === EntryKind.Delete || this.#tombstones.covers(key, bestSeqno, this.#snapshotSeqno)) continue
      return { key, kind: bestKind, value: bestValue }
    }
    return undefined
  }

  close(): void {
    this.#remaining = 0
    this.#internal.close()
  }
}
