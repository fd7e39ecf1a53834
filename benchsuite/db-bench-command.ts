/**
 * The db_bench (RocksDB 7.8.3, Debian's `rocksdb-tools`) command line that runs a suite's
 * workloads on the same parameters, so its output can be imported next to a strata-bench run
 * (`strata report import db-bench out.txt`). db_bench runs its benchmarks in sequence on one
 * database (fills start a fresh one), so the order below loads before it reads and deletes last.
 * What db_bench cannot express is listed as `omitted`, never silently approximated.
 */
import type { WorkloadParameters } from './workloads/parameters.ts'

/** Our workload → db_bench benchmark, in the order db_bench must run them. */
const DB_BENCH_NAMES: ReadonlyArray<[string, string]> = [
  ['fillseq', 'fillseq'],
  ['fillrandom', 'filluniquerandom'],
  ['overwrite', 'overwrite'],
  ['readrandom', 'readrandom'],
  ['multiget', 'multireadrandom'],
  ['readseq', 'readseq'],
  ['seekrandom', 'seekrandom'],
  ['readwhilewriting', 'readwhilewriting'],
  ['compaction', 'compact'],
  ['deleterandom', 'deleterandom'],
]

/**
 * db_bench 7.8.3 defaults that differ from rocksdb-native's baseline (effective options in
 * engines/rocksdb-native.ts; /work/shared/reference/peer-baseline.md). Listed, not set: db_bench is
 * not installed here, so the flags that would align them are untested.
 */
const DB_BENCH_DEFAULTS_NOTE =
  'db_bench defaults differ from rocksdb-native\'s: max_background_jobs 2 (rocksdb-native 6), ' +
  'level_compaction_dynamic_level_bytes false (true), cache_index_and_filter_blocks false (true); ' +
  '--max_background_jobs=6 --level_compaction_dynamic_level_bytes=true --cache_index_and_filter_blocks=true would align them (untested here)'

export interface DbBenchCommand {
  argv: string[]
  /** Workloads and settings db_bench cannot run as we do, each with the reason. */
  omitted: string[]
}

/**
 * @example
 * ```ts
 * const { argv, omitted } = dbBenchCommand(['fillrandom', 'readrandom'], parameters, { bloomBitsPerKey: 10, blockCacheBytes: 32 << 20 })
 * ```
 */
export function dbBenchCommand(
  workloads: readonly string[],
  parameters: WorkloadParameters,
  table: { bloomBitsPerKey: number; blockCacheBytes: number },
): DbBenchCommand {
  const omitted: string[] = []
  const benchmarks = DB_BENCH_NAMES.filter(([ours]) => workloads.includes(ours)).map(([, theirs]) => theirs)
  for (const name of workloads) {
    if (!DB_BENCH_NAMES.some(([ours]) => ours === name)) omitted.push(`${name}: no db_bench benchmark (YCSB mixes are not in db_bench 7.8.3)`)
  }
  const needsData = benchmarks.some((b) => !b.startsWith('fill'))
  if (needsData && !benchmarks.some((b) => b.startsWith('fill'))) benchmarks.unshift('filluniquerandom')
  const compression = parameters.compression
  const argv = [
    'db_bench',
    `--benchmarks=${benchmarks.join(',')}`,
    `--num=${parameters.keyCount}`,
    `--reads=${parameters.operationCount}`,
    `--writes=${parameters.operationCount}`,
    `--deletes=${Math.min(parameters.operationCount, parameters.keyCount)}`,
    `--key_size=${parameters.keySizeBytes}`,
    `--batch_size=${parameters.batchSize}`,
    `--threads=${parameters.clients}`,
    `--sync=${parameters.sync ? 1 : 0}`,
    `--seed=${parameters.seed}`,
    `--seek_nexts=${parameters.scanLength}`,
    `--bloom_bits=${table.bloomBitsPerKey}`,
    `--cache_size=${table.blockCacheBytes}`,
    '--histogram=1',
  ]
  if (workloads.includes('readwhilewriting')) {
    // db_bench applies the limit to every write benchmark of the invocation (RunBenchmark makes
    // one limiter per benchmark, and DoWrite asks it too), so here it would throttle the fills.
    omitted.push(`readwhilewriting's writer rate: run it alone on the loaded database with --benchmarks=readwhilewriting --use_existing_db=1 --benchmark_write_rate_limit=${parameters.writeRateLimitBytesPerSecond} (in one command the limit throttles the fills too)`)
  }
  if (parameters.durationSeconds > 0) {
    argv.push(`--duration=${parameters.durationSeconds}`)
    if (benchmarks.some((b) => b.startsWith('fill'))) omitted.push('--duration also cuts db_bench\'s fills short (ours always write every key)')
    if (benchmarks.includes('readseq')) omitted.push('--duration also cuts db_bench\'s readseq short (ours always scans the whole store)')
  }
  if (benchmarks.length > 1) {
    omitted.push(
      'one database: db_bench runs every benchmark above on one database in that order (only fills start a fresh one), ' +
        'so its reads see the earlier overwrite and deletes; ours loads a fresh store for each workload',
    )
  }
  omitted.push(DB_BENCH_DEFAULTS_NOTE)
  if (compression.codec === 'zstd') argv.push('--compression_type=zstd', `--compression_level=${compression.level}`)
  else argv.push('--compression_type=none')
  const size = parameters.valueSize
  if (size.kind === 'fixed') argv.push(`--value_size=${size.sizeBytes}`)
  else if (size.kind === 'uniform') argv.push('--value_size_distribution_type=uniform', `--value_size_min=${size.minBytes}`, `--value_size_max=${size.maxBytes}`)
  else omitted.push(`value size ${size.kind}: db_bench 7.8.3 has fixed, uniform and normal value sizes only`)
  const content = parameters.valueContent
  if (content.kind === 'compressible') argv.push(`--compression_ratio=${content.ratio}`)
  else omitted.push(`value content ${content.kind}: db_bench generates CompressibleString values only (--compression_ratio)`)
  if (workloads.includes('readrandom') && parameters.missRatio > 0) {
    omitted.push(`readrandom misses: db_bench reads only keys it wrote (our missRatio is ${parameters.missRatio})`)
  }
  if (workloads.includes('compaction')) omitted.push(`compaction: db_bench's compact compacts the database as it stands (not ${parameters.flushCount} overlapping passes)`)
  if (parameters.keyOrder !== undefined) omitted.push('--key-order: db_bench draws read keys uniformly')
  if (parameters.cache === 'cold') omitted.push('--cache cold: run db_bench with --use_existing_db=1 on a reopened database instead')
  if (parameters.cache === 'hot') omitted.push('--cache hot: db_bench has no whole-store warm-up; put readseq before the measured benchmarks')
  if (parameters.blockCacheBytes !== undefined) omitted.push('--block-cache-bytes sets Strata\'s cache only; db_bench keeps --cache_size at its baseline')
  return { argv, omitted }
}
