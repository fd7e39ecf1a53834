/**
 * The workload of the blob GC SIGKILL test (test/blob-gc-crash.test.ts, scripts/blob-gc-crash.ts):
 * what batch `n` of round `r` writes, derived from the seed alone, so the child that writes it
 * and the parent that checks the store after the kill agree without talking. Each batch
 * overwrites (or deletes) a few keys of a small key space with separated values, so blob files
 * turn stale fast and GC relocates and deletes them while writes go on; it also writes the
 * marker `m/<r>/<n>` whose presence says the batch survived.
 */
import { Buffer } from 'node:buffer'
import { SeededRandom } from './seeded-random.ts'

/** Keys overwritten by the workload: few, so most frames go stale within a few files. */
export const GC_CRASH_KEY_COUNT = 48

/** Store options: tiny memtables and blob files so flushes, rotations, seals and GC run often. */
export const GC_CRASH_ENGINE_OPTIONS = { memtableSizeBytes: 32 * 1024, l0CompactionTrigger: 2, targetTableSizeBytes: 16 * 1024 }
export const GC_CRASH_KV_OPTIONS = { minBlobSize: 256, blobFileSizeBytesTarget: 48 * 1024, stalenessThreshold: 0.25 }

export type GcCrashOp = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }

export function gcCrashKeyOf(index: number): string {
  return `k${String(index).padStart(3, '0')}`
}

export function gcCrashMarkerOf(round: number, batch: number): string {
  return `m/${round}/${batch}`
}

/** The operations of batch `batch` of `round`. */
export function gcCrashBatchOf(seed: number, round: number, batch: number): GcCrashOp[] {
  const random = new SeededRandom((seed ^ Math.imul(round + 1, 0x9e3779b1) ^ Math.imul(batch + 1, 0x85ebca6b)) >>> 0)
  const ops: GcCrashOp[] = []
  for (let index = 0, count = 1 + random.below(4); index < count; index++) {
    const key = gcCrashKeyOf(random.below(GC_CRASH_KEY_COUNT))
    if (random.below(10) === 0) {
      ops.push({ type: 'del', key })
      continue
    }
    const sizeBytes = 300 + random.below(2500)
    ops.push({ type: 'put', key, value: Buffer.from(`r${round}b${batch}${key}:`.padEnd(sizeBytes, String.fromCharCode(97 + random.below(26))), 'latin1') })
  }
  ops.push({ type: 'put', key: gcCrashMarkerOf(round, batch), value: Buffer.from(String(batch), 'latin1') })
  return ops
}

/** Applies batch `batch` of `round` to a model. */
export function applyGcCrashBatch(model: Map<string, Buffer>, seed: number, round: number, batch: number): void {
  for (const op of gcCrashBatchOf(seed, round, batch)) {
    if (op.type === 'put') model.set(op.key, op.value)
    else model.delete(op.key)
  }
}
