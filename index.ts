/**
 * strata-kv: the package entry. `open()` returns an engine database; with `kvSeparation` set,
 * large values will live in blob files (blobtree/, issue #4; not wired yet: see README).
 * @example
 * ```ts
 * import { open } from 'strata-kv'
 * const db = await open('/tmp/demo')
 * await db.put('hello', 'world', { sync: true })
 * console.log((await db.get('hello'))?.toString())   // 'world'
 * await db.close()
 * ```
 */
import { Db, StrataError, type EngineOptions } from './engine/mod.ts'

export * from './engine/mod.ts'

/** Options of `open()`: the engine's options plus KV separation. */
export interface OpenOptions extends EngineOptions {
  /** Store values of at least `minBlobSize` bytes in blob files (value logs). */
  kvSeparation?: { minBlobSize?: number }
}

/**
 * Opens the database in `directory`, creating it when absent.
 * @throws {StrataError} `LOCKED` when another process holds the directory, `INVALID_ARGUMENT`
 * for bad options, `CORRUPTION` / `CHECKSUM_MISMATCH` for damaged files.
 */
export async function open(directory: string, options: OpenOptions = {}): Promise<Db> {
  const { kvSeparation, ...engineOptions } = options ?? {}
  if (kvSeparation !== undefined) {
    throw new StrataError('INVALID_ARGUMENT', 'Cannot open: kvSeparation is not available in this build yet (issue #4)')
  }
  return Db.open(directory, engineOptions)
}
