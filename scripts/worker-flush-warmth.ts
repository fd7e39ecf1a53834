/**
 * How long each flush takes in the background worker against the main thread, first flush apart:
 * a worker thread's V8 isolate starts with no optimized code, so a store's first flushes there run
 * in the interpreter and baseline tiers. Per round, a fresh store per variant (their order
 * rotates between rounds) opens, takes a random-order fill of KEY_COUNT 16-byte keys with 256-byte
 * values in unsynced batches of 1000 (the bench's fillrandom shape), and is flushed with
 * db.flush() after every FLUSH_EVERY_KEYS keys (the memtable is sized so that nothing freezes on
 * its own; backgroundWork is off, so no compaction runs between the flushes). Prints per store
 * the open() time, each flush's duration (db.flush(): freeze, table build, manifest) and the
 * CPU time the whole process spent during it (every thread: the worker's job, the main thread,
 * the JIT's and GC's helpers; less sensitive than the duration to other load on the machine).
 * Variants: 'worker' and 'main' (flushThread); 'worker-cold' is 'worker' with the worker's JIT
 * warm-up off (STRATA_WORKER_WARM_UP=0, engine/background/jit-warm-up.ts), the before of the fix.
 * Usage: node --import tsx scripts/worker-flush-warmth.ts
 * Env: KEY_COUNT (200000), FLUSH_EVERY_KEYS (50000), ROUND_COUNT (3),
 * VARIANTS (worker,worker-cold,main), SETTLE_MS (0: a pause before each flush, e.g. to let the
 * worker finish starting), BENCH_DIR (os.tmpdir()).
 * Benchmark, not test.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { setTimeout as sleep } from 'node:timers/promises'
import { open } from '../index.ts'
import { loadAverageText } from './blob-bench-shape.ts'
import { BATCH_OP_COUNT, fillOrder, fillValue, keyOf } from './fillrandom-shape.ts'

const MEMTABLE_BYTES_PER_KEY = 420
const keyCount = Number(process.env.KEY_COUNT ?? 200_000)
const flushEveryKeyCount = Number(process.env.FLUSH_EVERY_KEYS ?? 50_000)
const roundCount = Number(process.env.ROUND_COUNT ?? 3)
const settleMs = Number(process.env.SETTLE_MS ?? 0)
const benchDirectory = process.env.BENCH_DIR ?? os.tmpdir()
const variants = (process.env.VARIANTS ?? 'worker,worker-cold,main').split(',') as Variant[]

type Variant = 'worker' | 'worker-cold' | 'main'

async function runOnce(variant: Variant, order: Uint32Array, value: Buffer): Promise<Record<string, string | number>> {
  const directory = fs.mkdtempSync(path.join(benchDirectory, `strata-worker-warmth-${variant}-`))
  // The worker thread copies process.env when it starts, so this reaches only the thread this
  // store starts (the previous store closed, which stopped the process's thread).
  process.env.STRATA_WORKER_WARM_UP = variant === 'worker-cold' ? '0' : '1'
  try {
    const openStartMs = performance.now()
    // A memtable no flush interval fills (one entry counts ~336 bytes: key, value and the
    // memtable's overhead), so only db.flush() freezes it; past half of it the worker starts
    // during the fill (prewarm), as in a default store.
    const db = await open(directory, {
      flushThread: variant === 'main' ? 'main' : 'worker',
      memtableSizeBytes: flushEveryKeyCount * MEMTABLE_BYTES_PER_KEY,
      backgroundWork: false,
    })
    const openMs = performance.now() - openStartMs
    const flushMs: number[] = []
    const flushCpuMs: number[] = []
    let memtableBytes = 0
    for (let start = 0; start < keyCount; start += BATCH_OP_COUNT) {
      const ops = []
      for (let i = start; i < Math.min(keyCount, start + BATCH_OP_COUNT); i++) ops.push({ type: 'put' as const, key: keyOf(order[i]), value })
      await db.batch(ops)
      const written = Math.min(keyCount, start + BATCH_OP_COUNT)
      if (written % flushEveryKeyCount === 0 || written === keyCount) {
        if (settleMs > 0) await sleep(settleMs)
        memtableBytes = db.stats().memtableSizeBytes
        const flushStartMs = performance.now()
        const flushStartCpu = process.cpuUsage()
        await db.flush()
        flushMs.push(performance.now() - flushStartMs)
        const flushCpu = process.cpuUsage(flushStartCpu)
        flushCpuMs.push((flushCpu.user + flushCpu.system) / 1000)
      }
    }
    const stats = db.stats()
    await db.close()
    if (stats.workerFlushCount !== (variant === 'main' ? 0 : flushMs.length)) throw new Error(`${variant}: ${stats.workerFlushCount} of ${flushMs.length} flushes in the worker`)
    return {
      variant,
      openMs: +openMs.toFixed(1),
      memtableMB: +(memtableBytes / 1e6).toFixed(1),
      flushMs: flushMs.map((ms) => Math.round(ms)).join(' '),
      flushCpuMs: flushCpuMs.map((ms) => Math.round(ms)).join(' '),
    }
  } finally {
    fs.rmSync(directory, { recursive: true, force: true })
  }
}

const order = fillOrder(42, keyCount)
const value = fillValue(3)
console.log(`keys ${keyCount}, flush every ${flushEveryKeyCount}, rounds ${roundCount}, settle ${settleMs} ms, load average ${loadAverageText()}`)
for (let round = 0; round < roundCount; round++) {
  for (let index = 0; index < variants.length; index++) {
    const variant = variants[(index + round) % variants.length]
    console.log(JSON.stringify({ round, ...(await runOnce(variant, order, value)) }))
  }
}
console.log(`load average ${loadAverageText()}`)
