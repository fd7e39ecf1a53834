/**
 * The unmeasured warm-up every worker process runs before its first measured cell. Each engine's
 * repetition runs in a fresh process (run.ts), so without it the first cell of every process ran
 * on a cold JIT: Strata's fillseq at 100k keys as a process's first cell ran at 0.53 and 0.84 of
 * the same processes' fillrandom (medians of 6 repetitions, two runs); with the warm-up 0.93 and
 * 0.89, fillseq first in half the repetitions. It drives every session call a
 * workload makes (batched puts and deletes, gets, multi-gets, scans, flush, compaction) against a
 * scratch store of the same engine for about `budgetMs`, then removes the store.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { EngineAdapter, EngineRunOptions } from '../engines/adapter.ts'
import { Dataset } from '../workloads/context.ts'
import type { WorkloadParameters } from '../workloads/parameters.ts'
import { removeCellDirectory } from './cell.ts'

/** Budget of one worker's warm-up: long enough for V8 to optimise the hot paths, ~1.5 s. */
export const JIT_WARMUP_MS = 1500
/** Keys of the scratch store: rounds cycle over them, so the store stays small. */
const WARMUP_KEY_COUNT = 20_000
/** Every this many rounds the memtable is flushed, so flush code is compiled too. */
const FLUSH_EVERY_ROUNDS = 16
const SCAN_LENGTH = 100

export interface JitWarmupOutcome {
  rounds: number
  elapsedMs: number
}

export async function jitWarmup(adapter: EngineAdapter, runOptions: EngineRunOptions, parameters: WorkloadParameters, dataRoot: string, budgetMs: number): Promise<JitWarmupOutcome> {
  const directory = fs.mkdtempSync(path.join(dataRoot, `${adapter.name}-jit-warmup-`))
  const startMs = performance.now()
  let rounds = 0
  try {
    const session = await adapter.open(directory, runOptions)
    try {
      const dataset = new Dataset({ ...parameters, keyCount: WARMUP_KEY_COUNT }, 'jit-warmup')
      const sizer = dataset.sizer('jit-warmup')
      const prng = dataset.prng('jit-warmup')
      const batchSize = Math.max(1, Math.min(parameters.batchSize, WARMUP_KEY_COUNT))
      while (performance.now() - startMs < budgetMs) {
        const first = (rounds * batchSize) % WARMUP_KEY_COUNT
        const indexes = Array.from({ length: batchSize }, (_, i) => (first + i) % WARMUP_KEY_COUNT)
        await session.putBatch(indexes.map((index) => dataset.entry(index, sizer.next(), rounds)))
        const keys = indexes.map(() => dataset.key(prng.nextBelow(WARMUP_KEY_COUNT)))
        for (const key of keys) await session.get(key)
        await session.getMany(keys)
        await session.scan({ gte: keys[0] }, SCAN_LENGTH)
        await session.deleteBatch(keys.slice(0, Math.ceil(keys.length / 10)))
        rounds++
        if (rounds % FLUSH_EVERY_ROUNDS === 0) await session.flush?.()
      }
      await session.compact?.()
      await session.scan({}, Number.POSITIVE_INFINITY)
    } finally {
      await session.close()
    }
  } finally {
    removeCellDirectory(directory)
  }
  return { rounds, elapsedMs: performance.now() - startMs }
}
