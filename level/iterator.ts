/**
 * The adapter's iterators: entries, keys and values, each a thin shell over an EntryReader.
 * Stepping is synchronous underneath (`nextSync`), so `_nextv` and `_all` fill arrays without
 * one promise per entry. abstract-level enforces `limit` and the ended state itself, so the
 * cursor runs unlimited. A value that fails to read: see entry-reader.ts.
 */
import { AbstractIterator, AbstractKeyIterator, AbstractValueIterator } from 'abstract-level'
import type { Db, Snapshot } from '../index.ts'
import { Cursor } from './cursor.ts'
import { EntryReader } from './entry-reader.ts'
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

/**
 * Iterator over [key, value] entries; `values: false` reads no value (nor blob file). A value
 * that fails to read rejects one call and is skipped; `nextv()` first returns the entries read
 * before it (docs/level.md, "A value that fails to read").
 */
export class StrataLevelIterator extends AbstractIterator<unknown, LevelBytes, LevelBytes> {
  readonly #reader: EntryReader<Entry>

  constructor(owner: unknown, db: Db, options: LevelIteratorOptions, resolve: SnapshotResolver) {
    super(owner, options as never)
    // abstract-level drops the value of each entry when `values` is false: not reading it spares
    // a blob read per entry, and a value that would not read whole cannot fail the step.
    const cursor = openCursor(db, options, options.values !== false, resolve)
    const { keyEncoding, valueEncoding } = options
    this.#reader = new EntryReader(cursor, (key, value): Entry => [toFormat(key, keyEncoding), toFormat(value, valueEncoding)])
  }

  /** @internal abstract-level's implementation hook behind `next()`, which callers use instead. */
  async _next(): Promise<Entry | undefined> {
    return this.#reader.next(1)[0]
  }
  /** @internal abstract-level's implementation hook behind `nextv()`, which callers use instead. */
  async _nextv(size: number): Promise<Entry[]> {
    return this.#reader.next(size)
  }
  /** @internal abstract-level's implementation hook behind `all()`, which callers use instead. */
  async _all(): Promise<Entry[]> {
    return this.#reader.all(this.limit - this.count)
  }
  /** @internal abstract-level's implementation hook behind `seek()`, which callers use instead. */
  _seek(target: LevelBytes): void {
    this.#reader.seek(target)
  }
  /** @internal abstract-level's implementation hook behind `close()`, which callers use instead. */
  async _close(): Promise<void> {
    this.#reader.close()
  }
}

/** Iterator over keys; never reads values (nor blob files). */
export class StrataLevelKeyIterator extends AbstractKeyIterator<unknown, LevelBytes> {
  readonly #reader: EntryReader<LevelBytes>

  constructor(owner: unknown, db: Db, options: LevelIteratorOptions, resolve: SnapshotResolver) {
    super(owner, options as never)
    const { keyEncoding } = options
    this.#reader = new EntryReader(openCursor(db, options, false, resolve), (key) => toFormat(key, keyEncoding))
  }

  /** @internal abstract-level's implementation hook behind `next()`, which callers use instead. */
  async _next(): Promise<LevelBytes | undefined> {
    return this.#reader.next(1)[0]
  }
  /** @internal abstract-level's implementation hook behind `nextv()`, which callers use instead. */
  async _nextv(size: number): Promise<LevelBytes[]> {
    return this.#reader.next(size)
  }
  /** @internal abstract-level's implementation hook behind `all()`, which callers use instead. */
  async _all(): Promise<LevelBytes[]> {
    return this.#reader.all(this.limit - this.count)
  }
  /** @internal abstract-level's implementation hook behind `seek()`, which callers use instead. */
  _seek(target: LevelBytes): void {
    this.#reader.seek(target)
  }
  /** @internal abstract-level's implementation hook behind `close()`, which callers use instead. */
  async _close(): Promise<void> {
    this.#reader.close()
  }
}

/** Iterator over values; a value that fails to read is handled as in StrataLevelIterator. */
export class StrataLevelValueIterator extends AbstractValueIterator<unknown, LevelBytes, LevelBytes> {
  readonly #reader: EntryReader<LevelBytes>

  constructor(owner: unknown, db: Db, options: LevelIteratorOptions, resolve: SnapshotResolver) {
    super(owner, options as never)
    const { valueEncoding } = options
    this.#reader = new EntryReader(openCursor(db, options, true, resolve), (_key, value) => toFormat(value, valueEncoding))
  }

  /** @internal abstract-level's implementation hook behind `next()`, which callers use instead. */
  async _next(): Promise<LevelBytes | undefined> {
    return this.#reader.next(1)[0]
  }
  /** @internal abstract-level's implementation hook behind `nextv()`, which callers use instead. */
  async _nextv(size: number): Promise<LevelBytes[]> {
    return this.#reader.next(size)
  }
  /** @internal abstract-level's implementation hook behind `all()`, which callers use instead. */
  async _all(): Promise<LevelBytes[]> {
    return this.#reader.all(this.limit - this.count)
  }
  /** @internal abstract-level's implementation hook behind `seek()`, which callers use instead. */
  _seek(target: LevelBytes): void {
    this.#reader.seek(target)
  }
  /** @internal abstract-level's implementation hook behind `close()`, which callers use instead. */
  async _close(): Promise<void> {
    this.#reader.close()
  }
}
