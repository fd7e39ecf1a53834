/**
 * The deterministic workload of the SIGKILL crash test, shared by the child that writes it
 * (crash-child.ts) and the parent that checks what survived (test/crash-recovery.test.ts,
 * scripts/torture-crash.ts).
 *
 * Batch `n` of round `round` is a pure function of (seed, round, n), so the parent can rebuild
 * the exact expected store from the set of batches that survived, without trusting the child.
 * Every batch writes a marker `m/<round>/<n>` plus 1–8 data keys `d/<round>/<n>/<j>` whose
 * values encode their own coordinates; batch n > 0 may also delete (del, delRange) keys of
 * batch n - 1. One process writes batches in order, so the survivors of a round are a prefix
 * 0..P of its batches: the parent finds P from the markers, checks the prefix is gap-free and
 * covers every acknowledged batch, then compares the whole store with the model of the
 * prefixes. A partially applied batch shows up as a key too many or too few.
 */
import { createHash } from 'node:crypto'
import { Rng } from './seed.ts'
import type { BatchOperation, OpenOptions } from '../../index.ts'

/** Open options of the child and of the parent's reopen: tiny memtable so flushes and compactions run during the test. */
export const CRASH_STORE_OPTIONS: OpenOptions = {
  memtableSizeBytes: 64 * 1024,
  l0CompactionTrigger: 2,
  l1SizeBytes: 128 * 1024,
  targetTableSizeBytes: 64 * 1024,
  blockSizeBytes: 1024,
}

/** Data keys per batch at most; indexes are padded to two digits so ranges sort as numbers. */
const DATA_KEY_COUNT_MAX = 8
/** Share of data values above 4 KiB (they span several blocks and WAL pages). */
const LARGE_VALUE_CHANCE = 0.15

type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string } | { type: 'delRange'; start: string; end: string }

function batchRng(seed: number, round: number, n: number): Rng {
  const digest = createHash('sha256').update(`${seed}/${round}/${n}`).digest()
  return new Rng(digest.readUInt32LE(0))
}

function dataKey(round: number, n: number, j: number): string {
  return `d/${round}/${n}/${String(j).padStart(2, '0')}`
}

/** The marker key of batch n of `round`. */
export function markerKey(round: number, n: number): string {
  return `m/${round}/${n}`
}

function valueFor(round: number, n: number, j: number, sizeBytes: number): string {
  const stem = `${round}/${n}/${j}:`
  return stem.repeat(Math.ceil(sizeBytes / stem.length)).slice(0, sizeBytes)
}

/** The operations of batch `n` of `round` (deterministic). */
export function batchOperations(seed: number, round: number, n: number): Op[] {
  const rng = batchRng(seed, round, n)
  const ops: Op[] = [{ type: 'put', key: markerKey(round, n), value: String(n) }]
  const count = 1 + rng.below(DATA_KEY_COUNT_MAX)
  for (let j = 0; j < count; j++) {
    const sizeBytes = rng.chance(LARGE_VALUE_CHANCE) ? 4097 + rng.below(12 * 1024) : 10 + rng.below(200)
    ops.push({ type: 'put', key: dataKey(round, n, j), value: valueFor(round, n, j, sizeBytes) })
  }
  if (n > 0 && rng.chance(0.35)) {
    // Deletes a prefix of the previous batch's data keys ('/' + 1 is '0', so the end bound is exclusive).
    ops.push({ type: 'delRange', start: dataKey(round, n - 1, 0), end: dataKey(round, n - 1, 1 + rng.below(4)) })
  }
  if (n > 0 && rng.chance(0.35)) ops.push({ type: 'del', key: dataKey(round, n - 1, rng.below(DATA_KEY_COUNT_MAX)) })
  return ops
}

/** batchOperations() in the shape `db.batch()` takes. */
export function batchOf(seed: number, round: number, n: number): BatchOperation[] {
  return batchOperations(seed, round, n)
}

/** Applies batch n of `round` to a model map (same semantics as the store: later ops win). */
export function applyBatch(model: Map<string, string>, seed: number, round: number, n: number): void {
  for (const op of batchOperations(seed, round, n)) {
    if (op.type === 'put') model.set(op.key, op.value)
    else if (op.type === 'del') model.delete(op.key)
    else for (const key of [...model.keys()]) if (key >= op.start && key < op.end) model.delete(key)
  }
}
