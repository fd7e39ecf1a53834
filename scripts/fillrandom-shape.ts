/**
 * The fill both worker benchmarks use (compaction-thread-bench.ts, worker-flush-warmth.ts), the
 * issue #2 shape of the bench's fillrandom: `keyCount` 16-byte keys in a seeded random order, one
 * seeded 256-byte value, unsynced batches of 1000. Benchmark support, not test.
 */
import { Buffer } from 'node:buffer'
import { mulberry32 } from '../engine/mulberry32.ts'

export const KEY_SIZE_BYTES = 16
export const VALUE_SIZE_BYTES = 256
export const BATCH_OP_COUNT = 1000

/** Key `index`: its decimal digits, zero-padded to KEY_SIZE_BYTES. */
export function keyOf(index: number): Buffer {
  return Buffer.from(String(index).padStart(KEY_SIZE_BYTES, '0'))
}

/** The fill order: a seeded permutation of 0..keyCount - 1 (Fisher-Yates). */
export function fillOrder(seed: number, keyCount: number): Uint32Array {
  const next = mulberry32(seed)
  const order = new Uint32Array(keyCount)
  for (let i = 0; i < keyCount; i++) order[i] = i
  for (let i = keyCount - 1; i > 0; i--) {
    const j = next() % (i + 1)
    const swap = order[i]
    order[i] = order[j]
    order[j] = swap
  }
  return order
}

/** The value every put writes: VALUE_SIZE_BYTES seeded bytes. */
export function fillValue(seed: number): Buffer {
  const value = Buffer.alloc(VALUE_SIZE_BYTES)
  const next = mulberry32(seed)
  for (let i = 0; i < VALUE_SIZE_BYTES; i++) value[i] = next() & 0xff
  return value
}
