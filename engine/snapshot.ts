/**
 * Snapshots are sequence numbers: a reader at seqno s sees exactly the writes with seqno <= s.
 * SnapshotList tracks the live ones so compaction keeps every version some snapshot can see.
 */
import { StrataError } from './errors.ts'

/** The seqnos of the live snapshots, as a multiset kept sorted ascending. */
export class SnapshotList {
  readonly #seqnos: number[] = []

  add(seqno: number): void {
    let index = this.#seqnos.length
    while (index > 0 && this.#seqnos[index - 1] > seqno) index--
    this.#seqnos.splice(index, 0, seqno)
  }

  remove(seqno: number): void {
    const index = this.#seqnos.lastIndexOf(seqno)
    if (index >= 0) this.#seqnos.splice(index, 1)
  }

  /** Ascending seqnos of live snapshots (a copy). */
  sorted(): number[] {
    return this.#seqnos.slice()
  }

  get count(): number {
    return this.#seqnos.length
  }
}

/**
 * A consistent read view. Reads through it see the store as it was when it was taken, across
 * flushes and compactions, until `release()`.
 */
export class Snapshot {
  /** The sequence number the view reads at: it sees exactly the writes with a seqno at or below it. */
  readonly seqno: number
  readonly #onRelease: (seqno: number) => void
  #released = false

  /** @internal Taken with `db.snapshot()`. */
  constructor(seqno: number, onRelease: (seqno: number) => void) {
    this.seqno = seqno
    this.#onRelease = onRelease
  }

  /** True once `release()` was called; reads through the snapshot then throw INVALID_ARGUMENT. */
  get released(): boolean {
    return this.#released
  }

  /** Throws INVALID_ARGUMENT when the snapshot was released. */
  check(action: string): void {
    if (this.#released) throw new StrataError('INVALID_ARGUMENT', `Cannot ${action}: snapshot was released`)
  }

  /** Lets compaction drop what only this snapshot could see. Idempotent. */
  release(): void {
    if (this.#released) return
    this.#released = true
    this.#onRelease(this.seqno)
  }
}
