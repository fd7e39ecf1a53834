/**
 * strata-kv: the package entry. `open()` returns an engine database; with `kvSeparation` set,
 * it returns a BlobDb (blobtree/), which has the same API and keeps values of at least
 * `minBlobSize` bytes in blob files, written once, with blob GC (`db.gc()`, also run by
 * `compact()`) and blob figures in `stats().blob`.
 * @example
 * ```ts
 * import { open } from 'strata-kv'
 * const db = await open('/tmp/demo')
 * await db.put('hello', 'world', { sync: true })
 * console.log((await db.get('hello'))?.toString())   // 'world'
 * await db.close()
 * ```
 * @module strata-kv
 */
import { Db, StrataError, type EngineOptions } from './engine/mod.ts'
import { BlobDb, type KvSeparationOptions } from './blobtree/mod.ts'

export * from './engine/mod.ts'
export { BlobDb, type BlobDbStats, type BlobStats, type KvSeparationOptions, type CollectionReport, type RelocationFailure, type ValueCacheStats, type HandleCacheStats } from './blobtree/mod.ts'
export { ValueStream, type GetStreamOptions } from './blobtree/mod.ts'

/** Options of `open()`: the engine's options plus KV separation. */
export interface OpenOptions extends EngineOptions {
  /**
   * Store values of at least `minBlobSize` bytes (default 1024) in blob files (value logs);
   * the other fields tune blob file size and GC (blobtree/blob-db.ts, KvSeparationOptions).
   */
  kvSeparation?: KvSeparationOptions
}

/**
 * Opens the database in `directory` (created when absent) with KV separation: large values live
 * in blob files, and the result also has BlobDb's methods (`putStream`, `getStream`,
 * `valueSize`, `gc`).
 * @throws {StrataError} `LOCKED` when another process holds the directory, `INVALID_ARGUMENT`
 * for bad options, `CORRUPTION` / `CHECKSUM_MISMATCH` for damaged files.
 */
export async function open(directory: string, options: OpenOptions & { kvSeparation: KvSeparationOptions }): Promise<Db & BlobDb>
/**
 * Opens the database in `directory` (created when absent); without `kvSeparation` every value
 * lives in the LSM tree.
 * @throws {StrataError} as above.
 */
export async function open(directory: string, options?: OpenOptions): Promise<Db>
export async function open(directory: string, options: OpenOptions = {}): Promise<Db> {
  // Spreading a string or an array would turn it into index-keyed options; say what is wrong instead.
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot open: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`)
  }
  const { kvSeparation, ...engineOptions } = options
  if (kvSeparation !== undefined) {
    // BlobDb has Db's public API but is not a Db (Db's #private fields make the class nominal),
    // so the cast keeps one return type for callers typed against Db; the overload above gives
    // callers that pass kvSeparation BlobDb's own methods (putStream, getStream, gc) too.
    return (await BlobDb.open(directory, engineOptions, kvSeparation)) as unknown as Db
  }
  return Db.open(directory, engineOptions)
}
