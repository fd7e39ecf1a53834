/**
 * JIT warm-up of the background worker: right after the worker thread starts, it runs the flush
 * and compaction code on synthetic data, entirely in memory (a MemVfs of its own, nothing
 * written to any file), so that V8 has optimized that code before the first real flush arrives.
 * The worker thread (background-worker-thread.ts), one per process for every store
 * (shared-background-thread.ts), calls warmUpJit() once as it starts, with the settings of the
 * store that started it, and stops it as soon as a real job of any store arrives;
 * STRATA_WORKER_WARM_UP=0 in the environment turns it off (for the before/after measurement).
 *
 * Why: a worker's isolate starts with no optimized code, and the store's first flushes there ran
 * in the interpreter and baseline tiers. Measured before this warm-up, a 16.8 MB memtable's first
 * flush (db.flush(), 50,000 keys of 16 bytes with 256-byte values) took 2.4–3.6x as long in the
 * worker as on the main thread (321–466 ms against 104–154 ms), later worker flushes 1.4–1.9x
 * (`VARIANTS=worker,main node --import tsx scripts/worker-flush-warmth.ts`, two runs); the
 * worker's CPU profile showed the first job's extra time spread over the per-entry code (batch
 * decode, memtable insert and sort, block building, the codec) plus more garbage collection.
 *
 * Each round is the whole job path a real flush and compaction take: two logs written and read
 * back (readWal, decodeBatch, replayBatch), each flushed to a table (flushMemtable with the
 * store's codec: its compression, ECC and per-KV checksums), then the two tables compacted into
 * one (TableReader, the merge, the table writer again). Its steps are short and it yields to the
 * event loop between them, so a real job waits for at most the rest of one step (the longest,
 * cold, took 60–68 ms; the whole plan 650–700 ms of CPU, three runs on the main thread). A step
 * may interleave with the job that arrived during it, as the database's own thread interleaves
 * flush slices with reads: what they share is used within one synchronous call only (the XXH3
 * hashers, block decode scratch, the process's nonce source, whose nonces stay distinct across
 * keys). The warm-up encrypts with a throwaway key of the suite of the store that started the
 * thread, never with any store's keys: the swap (warmUpSettings) is made before the settings
 * cross to the thread, whose other stores' keys the warm-up never sees.
 *
 * Measured (`node --import tsx scripts/worker-flush-warmth.ts`, variants interleaved, two runs of
 * two rounds, load average 3–3.7 on the 2-core machine), first flush of each store:
 * - paced writes (SETTLE_MS=1500: the worker has started and warmed up before the first flush):
 *   224–263 ms with the warm-up against 306–352 ms without (0.75x; its CPU 205–217 ms against
 *   283–337 ms), the main thread 242–299 ms. Later flushes: median 188 ms against 318 ms, the
 *   main thread 185 ms. The warm-up makes the worker's flushes as fast as the main thread's.
 * - a tight fill (SETTLE_MS=0): the first flush arrives while the worker is still starting, so
 *   the warm-up hardly runs: median 441 ms against 395 ms without it (eight stores each,
 *   VARIANTS=worker,worker-cold ROUND_COUNT=4, two runs), the same CPU (median 433 ms against
 *   431 ms): no gain there, and the difference is within this machine's noise. What that first
 *   flush waits for is the worker's start-up, which a warm-up cannot remove.
 * Memory: the worker's heap grows with the warm-up's garbage as it would with the first real
 * flushes. 4 s after a store (1 KB values, 4 MiB memtable) started its worker, the process's RSS
 * had risen 88-91 MiB with the warm-up against 24-26 MiB without it (with logs of at most 1,000
 * entries 57-62 MiB); after 40,000 puts and 10 flushes 96-98 MiB against 95-103 (two runs each).
 * open() does not start the worker (prewarm() does, from the write path), so the warm-up adds
 * nothing to it. Its cost is CPU on the worker's core while that core would idle, stopped by the
 * first job.
 */
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'
import assert from 'node:assert/strict'
import { encodeBatch, OpKind, type BatchOp } from '../batch/write-batch.ts'
import { compactFromFiles } from '../compaction/compact-from-files.ts'
import type { IntegrityOptions } from '../integrity-options.ts'
import { walFileName, type TableMeta } from '../manifest/mod.ts'
import { mulberry32 } from '../mulberry32.ts'
import { MemVfs } from '../vfs/mem-vfs.ts'
import { WalWriter } from '../wal/mod.ts'
import { flushContextOf, type BackgroundWorkerSettings } from './background-worker-protocol.ts'
import { flushFromWal, type WalFlushContext } from './wal-flush.ts'

/**
 * How much the warm-up runs: its rounds, and the entries each of a round's two logs holds, from
 * `entryCountPerLogMin` in the first round, doubling each round up to `entryCountPerLogMax`.
 * Cold code runs slowly, so the first rounds are small: a job arriving meanwhile waits little.
 */
export interface JitWarmUpPlan {
  roundCount: number
  entryCountPerLogMin: number
  entryCountPerLogMax: number
}

/**
 * The plan the worker runs: 63,000 entries flushed and as many compacted. Smaller plans helped
 * less: with 12 rounds of 500 the first flush still took 1.2x the CPU of this plan's, with 8
 * rounds of 500 to 2000 1.1x (SETTLE_MS=1500, four stores each, at load average 5).
 */
export const JIT_WARM_UP_PLAN: JitWarmUpPlan = { roundCount: 10, entryCountPerLogMin: 500, entryCountPerLogMax: 4000 }

const KEY_SIZE_BYTES = 16
/** Values of the fill the store's benchmarks use (256 bytes): several entries per block. */
const VALUE_SIZE_BYTES = 256
const BATCH_OP_COUNT = 100
/** Where the warm-up's files live, in its own MemVfs only. */
const DIRECTORY = '/jit-warm-up'
const TABLE_SIZE_BYTES_TARGET = 64 * 1024 * 1024
/**
 * Bounds on what the store's settings may make the warm-up cost (review, 2026-11-26: cold, on the
 * main thread, zstd level 22 took the plan 25.7 s of CPU and went on 1.2 s after the stop flag,
 * XChaCha with zstd 19 and SEC-DED 17 s, 4 MiB blocks with zstd 19 a 290 ms step). zstd runs
 * natively, so a higher level warms no more JavaScript than level 3; blocks above 64 KiB neither.
 * The wall-clock budget ends the plan on a loaded machine or with costly settings however far
 * it got (the default plan took 650-700 ms of CPU).
 */
const WARM_UP_ZSTD_LEVEL_MAX = 3
const WARM_UP_BLOCK_SIZE_BYTES_MAX = 64 * 1024
export const WARM_UP_BUDGET_MS = 2000

/**
 * The store's settings with its encryption keys swapped for one throwaway key of the same suite
 * and epoch: the warm-up seals only synthetic data, and never under a key of the store.
 * Exported for its test.
 */
export function warmUpSettings(settings: BackgroundWorkerSettings): BackgroundWorkerSettings {
  const blockSizeBytes = Math.min(settings.blockSizeBytes, WARM_UP_BLOCK_SIZE_BYTES_MAX)
  const integrity = settings.integrity
  if (integrity === undefined) return { ...settings, blockSizeBytes }
  const encryption = integrity.encryption
  const warmUpIntegrity: IntegrityOptions = {
    ...integrity,
    compression: integrity.compression === undefined ? undefined : cappedCompression(integrity.compression),
    encryption: encryption === undefined ? undefined : { ...encryption, keys: [{ epoch: encryption.activeEpoch, key: randomBytes(32) }] },
  }
  return { ...settings, blockSizeBytes, integrity: warmUpIntegrity }
}

type Compression = NonNullable<IntegrityOptions['compression']>

/** `compression` with every zstd level above WARM_UP_ZSTD_LEVEL_MAX lowered to it. */
function cappedCompression(compression: Compression): Compression {
  const cap = <T extends { kind: 'none' | 'zstd'; level?: number } | undefined | null>(choice: T): T =>
    choice?.kind === 'zstd' && choice.level !== undefined && choice.level > WARM_UP_ZSTD_LEVEL_MAX ? { ...choice, level: WARM_UP_ZSTD_LEVEL_MAX } : choice
  const perBlockKind = compression.perBlockKind === undefined ? undefined : Object.fromEntries(Object.entries(compression.perBlockKind).map(([kind, choice]) => [kind, cap(choice)]))
  return { ...cap(compression), perLevel: compression.perLevel?.map(cap), perBlockKind }
}

/** Writes log `logNumber`: `entryCount` seeded puts and deletes in batches, from `firstSeqno` on. */
async function writeLog(context: WalFlushContext, logNumber: number, firstSeqno: number, entryCount: number, seed: number): Promise<void> {
  const next = mulberry32(seed)
  const value = new Uint8Array(VALUE_SIZE_BYTES).map(() => next() & 0xff)
  const wal = WalWriter.create(context.settings.vfs, path.join(DIRECTORY, walFileName(logNumber)), logNumber, { cipher: context.cipher })
  for (let start = 0; start < entryCount; start += BATCH_OP_COUNT) {
    const ops: BatchOp[] = []
    for (let index = start; index < Math.min(entryCount, start + BATCH_OP_COUNT); index++) {
      const key = String(next() % (4 * entryCount)).padStart(KEY_SIZE_BYTES, '0')
      // One delete in 16, so the tombstone paths of the writer and the merge run too.
      ops.push(next() % 16 === 0 ? { kind: OpKind.Delete, key, value: new Uint8Array(0) } : { kind: OpKind.Put, key, value })
    }
    wal.add(encodeBatch(firstSeqno + start, ops))
  }
  await wal.close()
}

/** How the worker steers and follows the warm-up. */
export interface JitWarmUpHooks {
  /** Asked between the steps of the warm-up: true stops it there (a real job arrived). */
  stopRequested(): boolean
  /** Told after each complete round, with the rounds done so far. */
  roundDone?(roundCount: number): void
}

/**
 * A turn of the event loop, so that a job's message that arrived meanwhile is handled (and sets
 * stopRequested); true when the warm-up must stop.
 */
async function stopAfterTurn(hooks: JitWarmUpHooks): Promise<boolean> {
  await nextTurn()
  return hooks.stopRequested()
}

/**
 * One round in a MemVfs of its own (dropped with the round): two logs flushed to two tables,
 * which are then compacted into one. False when it stopped between two of these steps.
 */
async function warmUpRound(settings: BackgroundWorkerSettings, hooks: JitWarmUpHooks, entryCountPerLog: number, round: number): Promise<boolean> {
  const vfs = new MemVfs()
  vfs.mkdirp(DIRECTORY)
  const context = flushContextOf(settings, vfs)
  const tables: TableMeta[] = []
  for (const logIndex of [0, 1]) {
    if (await stopAfterTurn(hooks)) return false
    const logNumber = 2 * logIndex + 1
    const firstSeqno = logIndex * entryCountPerLog + 1
    await writeLog(context, logNumber, firstSeqno, entryCountPerLog, round * 2 + logIndex)
    const expected = { entryCount: entryCountPerLog, rangeTombstoneCount: 0, smallestSeqno: firstSeqno, largestSeqno: firstSeqno + entryCountPerLog - 1 }
    const job = { directory: DIRECTORY, logNumber, encrypted: context.cipher !== undefined, tableFileNumber: logNumber + 1, snapshots: [], expected }
    const { added } = await flushFromWal(context, job)
    assert.equal(added.length, 1, 'a warm-up flush wrote no table')
    tables.push(added[0])
  }
  if (await stopAfterTurn(hooks)) return false
  let outputFileNumber = 10
  const compaction = { directory: DIRECTORY, inputs: tables, outputLevel: 1, snapshots: [], targetTableSizeBytes: TABLE_SIZE_BYTES_TARGET, otherTables: [] }
  await compactFromFiles(context.settings, compaction, async () => outputFileNumber++)
  return true
}

/**
 * Runs the flush and compaction code on synthetic data, in memory only, for `plan.roundCount`
 * rounds, or for WARM_UP_BUDGET_MS (checked between rounds), with zstd levels and block sizes
 * capped (warmUpSettings), or until `hooks.stopRequested()` is true at one of the turns of the event loop it
 * takes between its steps (a log's write and flush, or a compaction). Returns the rounds completed.
 * @example
 * ```ts
 * let jobArrived = false
 * const roundCount = await warmUpJit(settings, { stopRequested: () => jobArrived })
 * ```
 */
export async function warmUpJit(settings: BackgroundWorkerSettings, hooks: JitWarmUpHooks, plan: JitWarmUpPlan = JIT_WARM_UP_PLAN): Promise<number> {
  const throwawaySettings = warmUpSettings(settings)
  const startedMs = performance.now()
  for (let round = 0; round < plan.roundCount; round++) {
    if (performance.now() - startedMs > WARM_UP_BUDGET_MS) return round
    const entryCountPerLog = Math.min(plan.entryCountPerLogMax, plan.entryCountPerLogMin * 2 ** round)
    if (!(await warmUpRound(throwawaySettings, hooks, entryCountPerLog, round))) return round
    hooks.roundDone?.(round + 1)
  }
  return plan.roundCount
}
