/**
 * The issue #2 read shape, shared by scripts/read-path-ab.ts and scripts/read-miss-ab.ts: 16-byte
 * keys, 256-byte values of compressible:0.5, loaded in a seeded permutation in batches of 1,000.
 */
import { createValueSource, encodeKey, Prng, randomPermutation } from '../datasets/mod.ts'
import { seed } from './blob-bench-shape.ts'

export const KEY_SIZE_BYTES = 16
export const VALUE_SIZE_BYTES = 256
export const BATCH_COUNT = 1000

/** Key i of the shape, for i in [0, keyCount). */
export function readShapeKeys(keyCount: number): Uint8Array[] {
  return Array.from({ length: keyCount }, (_, index) => encodeKey(index, KEY_SIZE_BYTES))
}

/** The load's batches of puts, in the permutation `label` seeds (each script keeps its own). */
export function* readShapeBatches(keys: readonly Uint8Array[], label: string): Generator<{ type: 'put'; key: Uint8Array; value: Uint8Array }[]> {
  const values = createValueSource({ kind: 'compressible', ratio: 0.5 }, seed)
  const order = randomPermutation(keys.length, Prng.derive(seed, label))
  for (let start = 0; start < keys.length; start += BATCH_COUNT) {
    const batch = []
    for (let position = start; position < Math.min(keys.length, start + BATCH_COUNT); position++) {
      batch.push({ type: 'put' as const, key: keys[order[position]], value: values.value(order[position], VALUE_SIZE_BYTES) })
    }
    yield batch
  }
}
