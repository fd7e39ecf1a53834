/**
 * Snapshots are sequence numbers: a reader at seqno s sees exactly the writes with seqno <= s.
 * SnapshotList tracks the live ones so compaction keeps every version some snapshot can see.
 */
import type { Buffer } from 'node:buffer'
import { StrataError } from './errors.ts'
import type { BytesLike } from './keys.ts'
import { getManyWith } from './get-many.ts'
import type { IteratorOptions, ReadOptions } from './db.ts'
import type { StrataIterator } from './iterator/async-iterator.ts'

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

/** The reads of the database that took a snapshot, which the snapshot's own reads go through. */
export interface SnapshotReader {
  getSync(key: BytesLike, options?: ReadOptions): Buffer | undefined
  iterator(options?: IteratorOptions): StrataIterator
}

/**
 * A consistent read view. Reads through it see the store as it was when it was taken, across
 * flushes and compactions (and, with KV separation, blob GC), until `release()`. Read it with
 * its own `get` / `iterator` (the design brief's API) or pass it as `{ snapshot }` to the
 * database's: both are the same read.
 * @example
 * ```ts
 * const snapshot = db.snapshot()
 * await db.put('a', 'new')
 * await snapshot.get('a')        // the value before the put
 * for await (const [key, value] of snapshot.iterator({ gte: 'a' })) { … }
 * snapshot.release()
 * ```
 */
export class Snapshot {
  /** The sequence number the view reads at: it sees exactly the writes with a seqno at or below it. */
  readonly seqno: number
  readonly #onRelease: (seqno: number) => void
  readonly #reader: SnapshotReader
  #released = false

  /** @internal Taken with `db.snapshot()`. */
  constructor(seqno: number, onRelease: (seqno: number) => void, reader: SnapshotReader) {
    this.seqno = seqno
    this.#onRelease = onRelease
    this.#reader = reader
  }

  /**
   * The value stored under `key` in this view, or undefined: `db.get(key, { snapshot })`.
   * @throws {StrataError} `INVALID_ARGUMENT` (bad key, or the snapshot was released), `CLOSED`,
   * read errors (`CHECKSUM_MISMATCH`, `CORRUPTION`, …).
   */
  async get(key: BytesLike): Promise<Buffer | undefined> {
    return this.#reader.getSync(key, { snapshot: this })
  }

  /** `get` without the promise. @throws {StrataError} as `get`. */
  getSync(key: BytesLike): Buffer | undefined {
    return this.#reader.getSync(key, { snapshot: this })
  }

  /**
   * The values of `keys` in this view, in order: `db.getMany(keys, { snapshot })`.
   * @throws {StrataError} as `db.getMany`, and `INVALID_ARGUMENT` once released.
   */
  async getMany(keys: readonly BytesLike[]): Promise<(Buffer | undefined)[]> {
    const options = { snapshot: this }
    return getManyWith((key) => this.#reader.getSync(key, options), keys)
  }

  /**
   * An iterator over this view: `db.iterator({ ...options, snapshot })`.
   * @throws {StrataError} `INVALID_ARGUMENT` for bad options, one naming another snapshot, or a
   * released snapshot; `CLOSED`.
   */
  iterator(options: Omit<IteratorOptions, 'snapshot'> = {}): StrataIterator {
    if (options === null || typeof options !== 'object') throw new StrataError('INVALID_ARGUMENT', 'Cannot create iterator: options must be an object')
    const other = (options as IteratorOptions).snapshot
    if (other !== undefined && other !== this) throw new StrataError('INVALID_ARGUMENT', 'Cannot create iterator: options.snapshot names another snapshot than the one iterated')
    return this.#reader.iterator({ ...options, snapshot: this })
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
