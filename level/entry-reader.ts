/**
 * EntryReader: the stepping loop behind the adapter's iterators (`_next`, `_nextv`, `_all`,
 * `_seek`), over one Cursor. It owns what happens when a value fails to read mid-batch: the
 * engine iterator has already moved past the failing entry (engine/iterator/async-iterator.ts),
 * so the entries read before it are returned and the error is raised by the next call; the call
 * after that continues with the entry after the failing one. Throwing at once would lose the
 * entries already stepped past: a later call starts after them. One caller at a time
 * (abstract-level refuses concurrent calls with LEVEL_ITERATOR_BUSY).
 */
import type { Buffer } from 'node:buffer'
import type { Cursor } from './cursor.ts'
import { toLevelError } from './errors.ts'
import type { LevelBytes } from './format.ts'

/** Entries `all()` takes per step: keeps each step's array small; the total is unbounded. */
const ALL_STEP_COUNT = 1000

/** Reads mapped entries from a cursor, deferring a read error past the entries read before it. */
export class EntryReader<T> {
  readonly #cursor: Cursor
  readonly #map: (key: Buffer, value: Buffer) => T
  /** The error that ended the last batch early, already mapped; raised by the next call. */
  #deferred: { error: unknown } | undefined

  constructor(cursor: Cursor, map: (key: Buffer, value: Buffer) => T) {
    this.#cursor = cursor
    this.#map = map
  }

  /**
   * Up to `size` entries; fewer only at the end or when a value failed to read after at least one
   * entry (the error then comes from the next call). @throws the mapped engine error.
   */
  next(size: number): T[] {
    this.#raiseDeferred()
    const { items, failure } = this.#take(size)
    if (failure !== undefined) {
      if (items.length === 0) throw failure.error
      this.#deferred = failure
    }
    return items
  }

  /**
   * Every entry up to the end or `remainingCount` (Infinity without a limit). A read error
   * rejects the whole call: abstract-level's `all()` closes the iterator on any outcome, so the
   * entries read before it could not be followed by the error. @throws the mapped engine error.
   */
  all(remainingCount: number): T[] {
    this.#raiseDeferred()
    const items: T[] = []
    while (items.length < remainingCount) {
      const stepCount = Math.min(ALL_STEP_COUNT, remainingCount - items.length)
      const step = this.#take(stepCount)
      if (step.failure !== undefined) throw step.failure.error
      for (const item of step.items) items.push(item)
      if (step.items.length < stepCount) break
    }
    return items
  }

  /**
   * Repositions the cursor. A deferred error is dropped: it belongs to the entry after the last
   * one returned, which the caller has chosen not to read. @throws the mapped engine error.
   */
  seek(target: LevelBytes): void {
    this.#deferred = undefined
    try {
      this.#cursor.seek(target)
    } catch (error) {
      throw toLevelError(error)
    }
  }

  close(): void {
    this.#deferred = undefined
    this.#cursor.close()
  }

  #raiseDeferred(): void {
    const deferred = this.#deferred
    if (deferred === undefined) return
    this.#deferred = undefined
    throw deferred.error
  }

  /** Steps up to `size` times; a failure stops the batch and is returned beside what was read. */
  #take(size: number): { items: T[]; failure: { error: unknown } | undefined } {
    const items: T[] = []
    try {
      while (items.length < size) {
        const entry = this.#cursor.next()
        if (entry === undefined) break
        items.push(this.#map(entry[0], entry[1]))
      }
    } catch (error) {
      return { items, failure: { error: toLevelError(error) } }
    }
    return { items, failure: undefined }
  }
}
