/**
 * strata-kv/level: Strata as an abstract-level 3 database, so the level ecosystem (sublevels,
 * encodings, streams, the compliance suite) works on it unchanged. See docs/level.md.
 * @example
 * ```ts
 * import { StrataLevel } from 'strata-kv/level'
 * const db = new StrataLevel('/tmp/demo-level')
 * await db.put('hello', 'world')
 * for await (const [key, value] of db.iterator({ gte: 'h' })) console.log(key, value)
 * await db.close()
 * ```
 * @module strata-kv/level
 */
export { StrataLevel, type StrataLevelOptions, type StrataEngineOptions } from './level/strata-level.ts'
export { StrataLevelSnapshot } from './level/snapshot.ts'
export { StrataLevelIterator, StrataLevelKeyIterator, StrataLevelValueIterator } from './level/iterator.ts'
export { LevelError } from './level/errors.ts'
