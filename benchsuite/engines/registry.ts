/** Every engine adapter by name, in the order reports list them. */
import type { EngineAdapter } from './adapter.ts'
import { classicLevelAdapter } from './classic-level.ts'
import { lmdbAdapter } from './lmdb.ts'
import { nxteditionRocksdbAdapter } from './nxtedition-rocksdb.ts'
import { rocksdbNativeAdapter, rocksdbNativeBlobAdapter } from './rocksdb-native.ts'
import { blobtreeAdapter, strataAdapter } from './strata.ts'
import { surrealkvAdapter } from './surrealkv.ts'

export const ENGINES: readonly EngineAdapter[] = [
  strataAdapter,
  blobtreeAdapter,
  rocksdbNativeAdapter,
  rocksdbNativeBlobAdapter,
  nxteditionRocksdbAdapter,
  lmdbAdapter,
  classicLevelAdapter,
  surrealkvAdapter,
]

export const ENGINE_NAMES: readonly string[] = ENGINES.map((engine) => engine.name)

export function findEngine(name: string): EngineAdapter | undefined {
  return ENGINES.find((engine) => engine.name === name)
}
