/**
 * StrataLevel: an abstract-level 3 database over a Strata engine Db. abstract-level owns the
 * public API (encodings, deferred open, sublevels, hooks, events, argument checks); this class
 * implements its private `_*` methods, each a direct call into the engine. Engine reads are
 * synchronous, so `get`, `getMany`, `has` and iterator creation read the state at call time:
 * that is the implicit snapshot abstract-level asks for.
 */
import { AbstractLevel, type AbstractDatabaseOptions } from 'abstract-level'
import { BlobDb, open, type Db, type OpenOptions, type Snapshot } from '../index.ts'
import { clearRange, type LevelClearOptions } from './clear.ts'
import { LevelError, toLevelError, toOpenError } from './errors.ts'
import { toFormat, type LevelBytes } from './format.ts'
import {
  StrataLevelIterator,
  StrataLevelKeyIterator,
  StrataLevelValueIterator,
  type LevelIteratorOptions,
} from './iterator.ts'
import { StrataLevelSnapshot } from './snapshot.ts'

/** Engine options a StrataLevel forwards to `open()`; create/exists flags come from abstract-level. */
export type StrataEngineOptions = Omit<OpenOptions, 'createIfMissing' | 'errorIfExists'>

/** Options of `new StrataLevel()`: abstract-level's (encodings, createIfMissing, …) plus `strata`. */
export interface StrataLevelOptions<K, V> extends AbstractDatabaseOptions<K, V> {
  /** Engine options (memtable size, caches, block codec, …), see `OpenOptions`. Default: none. */
  strata?: StrataEngineOptions
}

/** Options every write receives from abstract-level; `sync` is the caller's. */
interface WriteOptions {
  /** Resolve once the write is on stable storage (fsync). Default false. */
  sync?: boolean
  [option: string]: unknown
}

interface ReadOptions {
  keyEncoding: string
  valueEncoding: string
  snapshot?: unknown
  [option: string]: unknown
}

interface LevelOperation {
  type: 'put' | 'del'
  key: LevelBytes
  value?: LevelBytes
}

const MANIFEST = {
  encodings: { buffer: true, view: true, utf8: true },
  implicitSnapshots: true,
  explicitSnapshots: true,
  permanence: true,
  seek: true,
  createIfMissing: true,
  errorIfExists: true,
  has: true,
  getSync: true,
}

/**
 * An abstract-level database stored by Strata in the directory `location`.
 * @example
 * ```ts
 * import { StrataLevel } from 'strata-kv/level'
 * const db = new StrataLevel('/tmp/demo-level', { valueEncoding: 'json' })
 * await db.put('a', { n: 1 })
 * console.log(await db.get('a'))   // { n: 1 }
 * await db.close()
 * ```
 * Errors: abstract-level's codes; engine errors map to `LEVEL_DATABASE_NOT_OPEN` (CLOSED),
 * `LEVEL_LOCKED`, `LEVEL_IO_ERROR`, `LEVEL_READONLY`, `LEVEL_CORRUPTION`, with the StrataError
 * as `cause`; codes with no level equivalent (`INVALID_ARGUMENT`, `VALUE_TOO_LARGE`, …) reach
 * the caller as the StrataError itself (docs/level.md "Errors").
 */
export class StrataLevel<K = string, V = string> extends AbstractLevel<LevelBytes, K, V> {
  readonly #location: string
  readonly #engineOptions: StrataEngineOptions
  #db: Db | undefined

  constructor(location: string, options: StrataLevelOptions<K, V> = {}) {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string")
    }
    const { strata, ...levelOptions } = options ?? {}
    super(MANIFEST, levelOptions)
    this.#location = location
    this.#engineOptions = { ...strata }
  }

  /** The directory of the store. */
  get location(): string {
    return this.#location
  }

  /**
   * The engine database underneath, for what abstract-level has no method for (stats, flush,
   * compact, verify). Throws LEVEL_DATABASE_NOT_OPEN unless the database is open.
   */
  get strata(): Db {
    if (this.#db === undefined) throw new LevelError('LEVEL_DATABASE_NOT_OPEN', 'Database is not open')
    return this.#db
  }

  /** @internal abstract-level's implementation hook behind `open()`, which callers use instead. */
  async _open(options: { createIfMissing: boolean; errorIfExists: boolean }): Promise<void> {
    try {
      this.#db = await open(this.#location, {
        ...this.#engineOptions,
        createIfMissing: options.createIfMissing,
        errorIfExists: options.errorIfExists,
      })
    } catch (error) {
      throw toOpenError(error, this.#location)
    }
  }

  /** @internal abstract-level's implementation hook behind `close()`, which callers use instead. */
  async _close(): Promise<void> {
    const db = this.#db
    if (db === undefined) return
    try {
      await db.close()
    } catch (error) {
      throw toLevelError(error)
    }
    this.#db = undefined
  }

  /** @internal abstract-level's implementation hook behind `get()`, which callers use instead. */
  async _get(key: LevelBytes, options: ReadOptions): Promise<LevelBytes | undefined> {
    return this._getSync(key, options)
  }

  /** @internal abstract-level's implementation hook behind `getSync()`, which callers use instead. */
  _getSync(key: LevelBytes, options: ReadOptions): LevelBytes | undefined {
    const value = this.#read(() => this.strata.getSync(key, { snapshot: engineSnapshot(options) }))
    return value === undefined ? undefined : toFormat(value, options.valueEncoding)
  }

  /** @internal abstract-level's implementation hook behind `getMany()`, which callers use instead. */
  async _getMany(keys: LevelBytes[], options: ReadOptions): Promise<(LevelBytes | undefined)[]> {
    const db = this.strata
    const snapshot = engineSnapshot(options)
    return this.#read(() =>
      keys.map((key) => {
        const value = db.getSync(key, { snapshot })
        return value === undefined ? undefined : toFormat(value, options.valueEncoding)
      }),
    )
  }

  /** @internal abstract-level's implementation hook behind `has()`, which callers use instead. */
  async _has(key: LevelBytes, options: ReadOptions): Promise<boolean> {
    const exists = existenceOf(this.strata)
    const snapshot = engineSnapshot(options)
    return this.#read(() => exists(key, snapshot))
  }

  /** @internal abstract-level's implementation hook behind `hasMany()`, which callers use instead. */
  async _hasMany(keys: LevelBytes[], options: ReadOptions): Promise<boolean[]> {
    const exists = existenceOf(this.strata)
    const snapshot = engineSnapshot(options)
    return this.#read(() => keys.map((key) => exists(key, snapshot)))
  }

  /** @internal abstract-level's implementation hook behind `put()`, which callers use instead. */
  async _put(key: LevelBytes, value: LevelBytes, options: WriteOptions): Promise<void> {
    try {
      await this.strata.put(key, value, { sync: options.sync === true })
    } catch (error) {
      throw toLevelError(error)
    }
  }

  /** @internal abstract-level's implementation hook behind `del()`, which callers use instead. */
  async _del(key: LevelBytes, options: WriteOptions): Promise<void> {
    try {
      await this.strata.delete(key, { sync: options.sync === true })
    } catch (error) {
      throw toLevelError(error)
    }
  }

  /** @internal abstract-level's implementation hook behind `batch()`, which callers use instead. */
  async _batch(operations: LevelOperation[], options: WriteOptions): Promise<void> {
    const engineOperations = operations.map((op) =>
      op.type === 'put'
        ? { type: 'put' as const, key: op.key, value: op.value! }
        : { type: 'del' as const, key: op.key },
    )
    try {
      await this.strata.batch(engineOperations, { sync: options.sync === true })
    } catch (error) {
      throw toLevelError(error)
    }
  }

  /** @internal abstract-level's implementation hook behind `clear()`, which callers use instead. */
  async _clear(options: LevelClearOptions & WriteOptions & { snapshot?: unknown }): Promise<void> {
    try {
      await clearRange(this.strata, options, engineSnapshot(options), options.sync === true)
    } catch (error) {
      throw toLevelError(error)
    }
  }

  /** @internal abstract-level's implementation hook behind `iterator()`, which callers use instead. */
  _iterator(options: LevelIteratorOptions): StrataLevelIterator {
    return new StrataLevelIterator(this, this.strata, options, StrataLevelSnapshot.engineSnapshotOf)
  }

  /** @internal abstract-level's implementation hook behind `keys()`, which callers use instead. */
  _keys(options: LevelIteratorOptions): StrataLevelKeyIterator {
    return new StrataLevelKeyIterator(this, this.strata, options, StrataLevelSnapshot.engineSnapshotOf)
  }

  /** @internal abstract-level's implementation hook behind `values()`, which callers use instead. */
  _values(options: LevelIteratorOptions): StrataLevelValueIterator {
    return new StrataLevelValueIterator(this, this.strata, options, StrataLevelSnapshot.engineSnapshotOf)
  }

  /** @internal abstract-level's implementation hook behind `snapshot()`, which callers use instead. */
  _snapshot(options: { owner: unknown }): StrataLevelSnapshot {
    return new StrataLevelSnapshot(
      options,
      this.#read(() => this.strata.snapshot()),
    )
  }

  #read<T>(read: () => T): T {
    try {
      return read()
    } catch (error) {
      throw toLevelError(error)
    }
  }
}

/**
 * Whether a key exists, without reading its value where that costs a blob read: a BlobDb answers
 * from the handle in the index (`valueSize`), so has() of a separated or streamed value reads no
 * blob file and cannot fail on one (VALUE_TOO_LARGE, a damaged blob). Without KV separation the
 * value is inline in the index and the engine has no cheaper lookup.
 */
function existenceOf(db: Db): (key: LevelBytes, snapshot: Snapshot | undefined) => boolean {
  if (db instanceof BlobDb) return (key, snapshot) => db.valueSize(key, { snapshot }) !== undefined
  return (key, snapshot) => db.getSync(key, { snapshot }) !== undefined
}

function engineSnapshot(options: { snapshot?: unknown }): Snapshot | undefined {
  return StrataLevelSnapshot.engineSnapshotOf(options.snapshot)
}
