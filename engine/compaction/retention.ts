/**
 * Which versions compaction may drop. A version is needed while some reader can see it: the
 * latest state, or a live snapshot. Snapshots cut the seqno line into stripes; within one
 * stripe only the newest version of a key is visible to anyone, so older versions in the same
 * stripe go (LevelDB's rule generalised to many snapshots, as in RocksDB).
 */

/** Index of the stripe holding `seqno`: the position of the first snapshot >= seqno. */
export function stripeOf(seqno: number, snapshots: readonly number[]): number {
  let low = 0
  let high = snapshots.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (snapshots[middle] < seqno) low = middle + 1
    else high = middle
  }
  return low
}

/**
 * Decides, for the versions of one key met newest first, which to keep.
 * `snapshots` ascending; a version in the last stripe (past every snapshot) is seen by "latest".
 */
export class RetentionFilter {
  readonly #snapshots: readonly number[]
  #key: string | undefined = undefined
  #lastStripe = -1

  constructor(snapshots: readonly number[]) {
    this.#snapshots = snapshots
  }

  /** True when a newer version of the same key already covers every reader of this one. */
  isShadowed(key: string, seqno: number): boolean {
    const stripe = stripeOf(seqno, this.#snapshots)
    if (key !== this.#key) {
      this.#key = key
      this.#lastStripe = stripe
      return false
    }
    if (stripe === this.#lastStripe) return true
    this.#lastStripe = stripe
    return false
  }

  /** True when `seqno` is visible to every reader (older than the oldest snapshot). */
  visibleToAll(seqno: number): boolean {
    return this.#snapshots.length === 0 || seqno <= this.#snapshots[0]
  }

  /** True when no snapshot lies in [older, newer): both versions are seen by the same readers. */
  sameStripe(olderSeqno: number, newerSeqno: number): boolean {
    return stripeOf(olderSeqno, this.#snapshots) === stripeOf(newerSeqno, this.#snapshots)
  }
}
