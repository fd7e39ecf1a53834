/**
 * Cursor: one position in a read view, over engine iterators. The engine's iterator closes
 * itself at its end, but an abstract-level iterator may `seek()` after its end; the cursor then
 * opens a fresh engine iterator over the same snapshot. So that the fresh one reads the same
 * data, a cursor without an explicit snapshot takes its own (its implicit snapshot) at
 * construction and releases it on close.
 *
 * The engine iterator opens lazily, on the first step or seek: abstract-level checks an
 * explicit snapshot is still open when a read starts (LEVEL_SNAPSHOT_NOT_OPEN), not when the
 * iterator is made, and the engine must not see a released snapshot first.
 *
 * Range options follow abstract-level: `gte` wins over `gt` and `lte` over `lt` when both are
 * given (the engine would apply both).
 */
import type { Buffer } from 'node:buffer'
import type { Db, IteratorOptions, Snapshot, StrataIterator } from '../index.ts'
import type { LevelBytes } from './format.ts'

/** Range and direction of a cursor, keys already encoded by abstract-level. */
export interface CursorOptions {
  gt?: LevelBytes
  gte?: LevelBytes
  lt?: LevelBytes
  lte?: LevelBytes
  reverse?: boolean
  /** Read values too (false reads keys only and never touches blob files). */
  values: boolean
  /** Explicit snapshot; absent: the cursor takes one of its own. */
  snapshot?: Snapshot
}

/** A repositionable walk over a range of one read view. */
export class Cursor {
  readonly #db: Db
  readonly #options: IteratorOptions
  readonly #ownSnapshot: Snapshot | undefined
  /** Undefined before the first step, once the engine iterator reached its end (it closed itself), or after close. */
  #inner: StrataIterator | undefined
  #started = false
  #closed = false

  constructor(db: Db, options: CursorOptions) {
    this.#db = db
    this.#ownSnapshot = options.snapshot === undefined ? db.snapshot() : undefined
    const snapshot = options.snapshot ?? this.#ownSnapshot
    this.#options = { reverse: options.reverse === true, values: options.values, snapshot }
    if (options.gte !== undefined) this.#options.gte = options.gte
    else if (options.gt !== undefined) this.#options.gt = options.gt
    if (options.lte !== undefined) this.#options.lte = options.lte
    else if (options.lt !== undefined) this.#options.lt = options.lt
  }

  #open(): StrataIterator {
    this.#inner = this.#db.iterator(this.#options)
    this.#started = true
    return this.#inner
  }

  /** The next [key, value] or undefined at the end; the value is empty when values are off. */
  next(): [Buffer, Buffer] | undefined {
    if (this.#closed) return undefined
    const inner = this.#inner ?? (this.#started ? undefined : this.#open())
    if (inner === undefined) return undefined
    const entry = inner.nextSync()
    if (entry === undefined) this.#inner = undefined
    return entry
  }

  /** Repositions to the first key >= target (last key <= target in reverse), within range. */
  seek(target: LevelBytes): void {
    if (this.#closed) return
    const inner = this.#inner ?? this.#open()
    inner.seek(target)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#inner?.closeSync()
    this.#inner = undefined
    this.#ownSnapshot?.release()
  }
}
