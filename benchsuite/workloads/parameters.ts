/**
 * Workload parameters: one record per run, recorded verbatim in result files. Defaults here are
 * the `quick` suite's; suites.ts scales them.
 */
import type { KeyOrderSpec, ValueContentSpec, ValueSizeSpec } from '../../datasets/mod.ts'
import { describeKeyOrder, describeValueContent, describeValueSize } from '../../datasets/mod.ts'
import type { CompressionSetting } from '../engines/adapter.ts'

export interface WorkloadParameters {
  /** Keys loaded before a read workload (YCSB recordcount), or written by a fill. */
  keyCount: number
  /** Measured operations for non-fill workloads (YCSB operationcount). */
  operationCount: number
  keySizeBytes: number
  valueSize: ValueSizeSpec
  valueContent: ValueContentSpec
  /** Request distribution for reads and updates; each workload has its own default when undefined. */
  keyOrder: KeyOrderSpec | undefined
  /** Writes per batch (fills, overwrite, deletes, the load phase) and keys per multiget. */
  batchSize: number
  sync: boolean
  compression: CompressionSetting
  /** Concurrent async clients issuing operations (reads, and batches of the measured writes). */
  clients: number
  /**
   * db_bench's `--duration`: a measured phase stops issuing operations this many seconds after
   * its first one and counts what it did (0: no limit). Applies to the workloads sized by
   * operationCount; fills, readseq and compaction always do their whole work.
   */
  durationSeconds: number
  /**
   * warm: read workloads run a short warm-up (1,000 random gets) first; hot: the store is flushed,
   * every key read once and the store scanned once before the clock starts (a flushed tree with
   * caches and JIT warm: the "blocks are cached" case); cold: the engine is closed and reopened
   * after loading.
   */
  cache: 'warm' | 'hot' | 'cold'
  /**
   * Strata's block cache in bytes (undefined: the preset's). Peers keep their baseline cache, so a
   * size that differs from theirs shows in the parity column.
   */
  blockCacheBytes?: number
  /** Fraction of readrandom lookups aimed at keys that were never written. */
  missRatio: number
  /** Entries per seek (seekrandom) and the maximum YCSB-E scan length. */
  scanLength: number
  /**
   * readwhilewriting's writer: key + value bytes per second (db_bench's
   * `--benchmark_write_rate_limit`); the same write load for every engine.
   */
  writeRateLimitBytesPerSecond: number
  /** Flushes (overlapping tables) before the compaction workload's major compaction. */
  flushCount: number
  minBlobSizeBytes: number
  seed: number
}

export const DEFAULT_PARAMETERS: WorkloadParameters = {
  keyCount: 20_000,
  operationCount: 10_000,
  keySizeBytes: 16,
  valueSize: { kind: 'fixed', sizeBytes: 256 },
  valueContent: { kind: 'compressible', ratio: 0.5 },
  keyOrder: undefined,
  batchSize: 100,
  sync: false,
  compression: { codec: 'preset' },
  clients: 1,
  durationSeconds: 0,
  cache: 'warm',
  missRatio: 0.1,
  scanLength: 100,
  // RocksDB's published readwhilewriting runs limit the writer to 2 MB/s (tools/benchmark.sh,
  // MB_WRITE_PER_SEC=2): a steady background load, not a second write benchmark.
  writeRateLimitBytesPerSecond: 2 * 1024 * 1024,
  flushCount: 4,
  minBlobSizeBytes: 1024,
  seed: 42,
}

/** Flat fields for the result file. */
export function describeParameters(parameters: WorkloadParameters): Record<string, string | number | boolean> {
  const compression = parameters.compression
  return {
    keyCount: parameters.keyCount,
    operationCount: parameters.operationCount,
    keySizeBytes: parameters.keySizeBytes,
    valueSize: describeValueSize(parameters.valueSize),
    valueContent: describeValueContent(parameters.valueContent),
    keyOrder: parameters.keyOrder === undefined ? 'workload default' : describeKeyOrder(parameters.keyOrder),
    batchSize: parameters.batchSize,
    sync: parameters.sync,
    compression: compression.codec === 'zstd' ? `zstd:${compression.level}` : compression.codec,
    clients: parameters.clients,
    durationSeconds: parameters.durationSeconds,
    cache: parameters.cache,
    ...(parameters.blockCacheBytes === undefined ? {} : { blockCacheBytes: parameters.blockCacheBytes }),
    missRatio: parameters.missRatio,
    scanLength: parameters.scanLength,
    writeRateLimitBytesPerSecond: parameters.writeRateLimitBytesPerSecond,
    flushCount: parameters.flushCount,
    minBlobSizeBytes: parameters.minBlobSizeBytes,
    seed: parameters.seed,
  }
}
