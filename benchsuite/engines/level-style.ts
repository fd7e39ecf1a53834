/**
 * The write and scan half of a session over any store with the level-style API (`batch` of
 * put/del operations, async `iterator` of [key, value] with gte/lt/limit): Strata, classic-level
 * and @nxtedition/rocksdb. Reads (get, getMany) differ per engine and stay in each adapter.
 */
import type { EngineSession, ScanRange, WriteEntry } from './adapter.ts'
import { ScanTally } from './adapter.ts'

/** The part of a level-style store these operations use. */
export interface LevelStyleStore {
  batch(operations: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }>, options: { sync: boolean }): Promise<void>
  iterator(options: { gte?: Uint8Array; lt?: Uint8Array; limit: number }): AsyncIterable<[Uint8Array, Uint8Array]>
}

/**
 * putBatch, deleteBatch and scan for `db`. `noLimit` is what the engine takes for "no limit"
 * (Strata wants -1, the level bindings accept Infinity).
 */
export function levelStyleWritesAndScan(
  db: LevelStyleStore,
  sync: boolean,
  noLimit: number = Number.POSITIVE_INFINITY,
): Pick<EngineSession, 'putBatch' | 'deleteBatch' | 'scan'> {
  const writeOptions = { sync }
  return {
    putBatch: (entries: readonly WriteEntry[]) => db.batch(entries.map((e) => ({ type: 'put' as const, key: e.key, value: e.value })), writeOptions),
    deleteBatch: (keys: readonly Uint8Array[]) => db.batch(keys.map((key) => ({ type: 'del' as const, key })), writeOptions),
    async scan(range: ScanRange, limit: number) {
      const tally = new ScanTally()
      for await (const [key, value] of db.iterator({ ...range, limit: Number.isFinite(limit) ? limit : noLimit })) tally.add(key, value)
      return tally.outcome()
    },
  }
}
