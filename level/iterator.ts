/**
 * The adapter's iterators: entries, keys and values, each a thin loop over a Cursor. Stepping
 * is synchronous underneath (`nextSync`), so `_nextv` and `_all` fill arrays without one
 * promise per entry. abstract-level enforces `limit` and the ended state itself, so the cursor
 * runs unlimited.
 */
import { AbstractIterator, AbstractKeyIterator, AbstractValueIterator } from 'abstract-level'
import type { Buffer } from 'node:buffer'
import type { Db, Snapshot } from '../index.ts'
import { Cursor } from './cursor.ts'
import { toLevelError } from './errors.ts'
import { toFormat, type LevelBytes } from './format.ts'

/** What abstract-level passes to `_iterator`, `_keys` and `_values` (README "Private API"). */
export interface LevelIteratorOptions {
  gt?: LevelBytes
  gte?: LevelBytes
  lt?: LevelBytes
  lte?: LevelBytes
  reverse: boolean
  limit: number
  keyEncoding: string
  valueEncoding: string
  /** The adapter's snapshot wrapper, when the caller passed an explicit one. */
  snapshot?: unknown
  [option: string]: unknown
}

type Entry = [LevelBytes, LevelBytes]
/** Resolves the engine snapshot behind a caller's explicit snapshot (owned by the database). */
export type SnapshotResolver = (snapshot: unknown) => Snapshot | undefined

/** Entries `_all()` takes per step: keeps each step's array small; the total is unbounded. */
const ALL_STEP_COUNT = 1000

function openCursor(db: Db, options: LevelIteratorOptions, values: boolean, resolve: SnapshotResolver): Cursor {
  try {
    return new Cursor(db, {
      gt: options.gt,
      gte: options.gte,
      lt: options.lt,
      lte: options.lte,
      reverse: options.reverse,
      values,
      snapshot: resolve(options.snapshot),
    })
  } catch (error) {
    throw toLevelError(error)
  }
}

/** Steps `cursor` up to `size` times, mapping each entry; maps engine errors. */
function take<T>(cursor: Cursor, size: number, map: (key: Buffer, value: Buffer) => T): T[] {
  const items: T[] = []
  try {
    while (items.length < size) {
      const entry = cursor.next()
      if (entry === undefined) break
      items.push(map(entry[0], entry[1]))
    }
  } catch (error) {
    throw toLevelError(error)
  }
  return items
}

/** Steps `cursor` to its end or `remainingCount` entries (Infinity without a limit). */
function takeAll<T>(cursor: Cursor, remainingCount: number, map: (key: Buffer, value: Buffer) => T): T[] {
  const items: T[] = []
  while (items.length < remainingCount) {
    const stepCount = Math.min(ALL_STEP_COUNT, remainingCount - items.length)
    const step = take(cursor, stepCount, map)
    for (const item of step) items.push(item)
    if (step.length < stepCount) break
  }
  return items
}

function seek(cursor: Cursor, target: LevelBytes): void {
  try {
    cursor.seek(target)
  } catch (error) {
    throw toLevelError(error)
  }
}

/** Iterator over [key, value] entries. */
export class StrataLevelIterator extends AbstractIterator<unknown, LevelBytes, LevelBytes> {
  readonly #cursor: Cursor
  readonly #map: (key: Buffer, value: Buffer) => Entry

  constructor(owner: unknown, db: Db, options: LevelIteratorOptions, resolve: SnapshotResolver) {
    super(owner, options as never)
    this.#cursor = openCursor(db, options, true, resolve)
    const { keyEncoding, valueEncoding } = options
    this.#map = (key, value) => [toFormat(key, keyEncoding), toFormat(value, valueEncoding)]
  }

  /** @internal abstract-level's implementation hook behind `next()`, which callers use instead. */
  async _next(): Promise<Entry | undefined> {
    return take(this.#cursor, 1, this.#map)[0]
  }
  /** @internal abstract-level's implementation hook behind `nextv()`, which callers use instead. */
  async _nextv(size: number): Promise<Entry[]> {
    return take(this.#cursor, size, this.#map)
  }
  /** @internal abstract-level's implementation hook behind `all()`, which callers use instead. */
  async _all(): Promise<Entry[]> {
    return takeAll(this.#cursor, this.limit - this.count, this.#map)
  }
  /** @internal abstract-level's implementation hook behind `seek()`, which callers use instead. */
  _seek(target: LevelBytes): void {
    seek(this.#cursor, target)
  }
  /** @internal abstract-level's implementation hook behind `close()`, which callers use instead. */
  async _close(): Promise<void> {
    this.#cursor.close()
  }
}

/** Iterator over keys; never reads values (nor blob files). */
export class StrataLevelKeyIterator extends AbstractKeyIterator<unknown, LevelBytes> {
  readonly #cursor: Cursor
  readonly #map: (key: Buffer) => LevelBytes

  constructor(owner: unknown, db: Db, options: LevelIteratorOptions, resolve: SnapshotResolver) {
    super(owner, options as never)
    this.#cursor = openCursor(db, options, false, resolve)
    const { keyEncoding } = options
    this.#map = (key) => toFormat(key, keyEncoding)
  }

  /** @internal abstract-level's implementation hook behind `next()`, which callers use instead. */
  async _next(): Promise<LevelBytes | undefined> {
    return take(this.#cursor, 1, this.#map)[0]
  }
  /** @internal abstract-level's implementation hook behind `nextv()`, which callers use instead. */
  async _nextv(size: number): Promise<LevelBytes[]> {
    return take(this.#cursor, size, this.#map)
  }
  /** @internal abstract-level's implementation hook behind `all()`, which callers use instead. */
  async _all(): Promise<LevelBytes[]> {
    return takeAll(this.#cursor, this.limit - this.count, this.#map)
  }
  /** @internal abstract-level's implementation hook behind `seek()`, which callers use instead. */
  _seek(target: LevelBytes): void {
    seek(this.#cursor, target)
  }
  /** @internal abstract-level's implementation hook behind `close()`, which callers use instead. */
  async _close(): Promise<void> {
    this.#cursor.close()
  }
}

/** Iterator over values. */
export class StrataLevelValueIterator extends AbstractValueIterator<unknown, LevelBytes, LevelBytes> {
  readonly #cursor: Cursor
  readonly #map: (key: Buffer, value: Buffer) => LevelBytes

  constructor(owner: unknown, db: Db, options: LevelIteratorOptions, resolve: SnapshotResolver) {
    super(owner, options as never)
    this.#cursor = openCursor(db, options, true, resolve)
    const { valueEncoding } = options
    this.#map = (_key, value) => toFormat(value, valueEncoding)
  }

  /** @internal abstract-level's implementation hook behind `next()`, which callers use instead. */
  async _next(): Promise<LevelBytes | undefined> {
    return take(this.#cursor, 1, this.#map)[0]
  }
  /** @internal abstract-level's implementation hook behind `nextv()`, which callers use instead. */
  async _nextv(size: number): Promise<LevelBytes[]> {
    return take(this.#cursor, size, this.#map)
  }
  /** @internal abstract-level's implementation hook behind `all()`, which callers use instead. */
  async _all(): Promise<LevelBytes[]> {
    return takeAll(this.#cursor, this.limit - this.count, this.#map)
  }
  /** @internal abstract-level's implementation hook behind `seek()`, which callers use instead. */
  _seek(target: LevelBytes): void {
    seek(this.#cursor, target)
  }
  /** @internal abstract-level's implementation hook behind `close()`, which callers use instead. */
  async _close(): Promise<void> {
    this.#cursor.close()
  }
}
