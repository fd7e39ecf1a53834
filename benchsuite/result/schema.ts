/**
 * The benchmark result file: one JSON document per run, read by reports/ and CI.
 * Version 1. Any change to field meaning or shape is a new `schemaVersion`; readers reject
 * versions they do not know (validate.ts). Times are in the units their names carry.
 */

export const RESULT_SCHEMA_VERSION = 1

/** Where, when and how a run was made: enough to reproduce it or to refuse to compare it. */
export interface Provenance {
  gitCommit: string // 40-hex commit, or 'unknown' outside a git checkout
  gitDirty: boolean
  startedAt: string // ISO 8601 UTC
  hostname: string
  platform: string // e.g. 'linux x64'
  cpuModel: string
  cpuCount: number
  memoryBytes: number
  nodeVersion: string
  packageVersions: Record<string, string> // npm package name → installed version
  preset: 'rocksdb-parity' | 'lsm-default' | 'lsm-paranoid'
  suite: string // 'quick' | 'standard' | 'full' | 'custom' | an import source
  seed: number
  /** Imported runs (db_bench, criterion) name their origin here; native runs say 'strata-bench'. */
  source: string
  /**
   * Set when the checkout changed while the run went on (HEAD moved, or tracked files changed):
   * worker processes load the code as it is when they start, so later engine runs may have run
   * other code than `gitCommit` (the commit at the start; `gitDirty` is then true). Optional:
   * added after v1 shipped.
   */
  treeChangedDuringRun?: string
}

/** Latency percentiles of one operation kind, from a histogram of every operation, microseconds. */
export interface LatencyUs {
  p50: number
  p95: number
  p99: number
  p999: number
  max: number
  mean: number
  count: number
}

/** Storage figures measured from the file system the same way for every engine. */
export interface StorageFigures {
  userBytesWritten: number // key + value bytes the workload asked to write
  diskBytesWritten: number // bytes written to the engine's files (from /proc/self/io or file sizes)
  diskBytesRead: number
  directoryBytes: number // apparent size of the engine's directory at the end
  writeAmplification: number // diskBytesWritten / userBytesWritten (NaN-free: 0 when no writes)
  readAmplification: number // diskBytesRead / user bytes read
  spaceAmplification: number // directoryBytes / live user bytes
}

/**
 * The state an engine was in when its measured phase started, and what ran inside the phase that
 * was not the workload's own work. Added after v1 shipped: every field optional, readers treat
 * absence as "not recorded".
 */
export interface PhaseFigures {
  /**
   * After the unmeasured load: 'flushed' (the engine flushed its memtables and its background
   * work settled), 'not-flushable' (no flush call: load data may still be in its memtable),
   * 'no-load' (the workload starts from an empty store).
   */
  loadState?: 'flushed' | 'not-flushable' | 'no-load'
  /** Time waited for background work after the load's flush (runner/settle.ts). */
  settleMs?: number
  /** False when background work was still running when the wait gave up. */
  settled?: boolean
  /**
   * The cache state reads started from: 'warm', 'hot', 'cold (page cache dropped)', or
   * 'reopen (OS page cache warm)' when `--cache cold` could not drop the files' pages.
   */
  cacheState?: string
  /**
   * True in results of the runs (2026-11-26, a few hours) whose workers forced a full GC just
   * before each phase; no longer done (runner/cell.ts says why), so absent in newer results.
   */
  gcBeforePhase?: boolean
  /** RSS when the phase started (after that GC). */
  rssAtStartBytes?: number
  /** Peak RSS during the phase above rssAtStartBytes. */
  peakRssAboveStartBytes?: number
  /** Largest value the workload's size distribution can produce. */
  valueBytesMax?: number
  /** Engine's own counters (Strata only): memtable bytes, frozen ones included, at the phase start. */
  memtableBytesAtStart?: number
  flushesInPhase?: number
  compactionsInPhase?: number
  /** True when the phase flushed memtables that held load data at its start. */
  loadFlushedInPhase?: boolean
  /** Values KV separation moved to blob files over the load and the phase (blobtree). */
  separatedValueCount?: number
  /** Bytes appended to blob files over the load and the phase (blobtree). */
  blobBytesWritten?: number
}

/**
 * readwhilewriting's background writer during the measured phase (the repetition closest to the
 * median). Optional: added after v1 shipped; older files and other workloads have none.
 */
export interface WriterFigures {
  batchCount: number
  operationCount: number // entries written
  userBytesWritten: number // key + value bytes; a batch in flight when the readers finished counts
  opsPerSecond: number // entries written per second of the readers' measured span
  batchesDueCount: number // batches the rate limit scheduled over the writer's run
  rateLimitBytesPerSecond: number
}

/** Calls of one kind timed apart from the operation histogram (the compaction workload's flush and compact). */
export interface CallTiming {
  call: string
  count: number
  totalMs: number
  maxMs: number
}

/** One engine on one workload: repetitions summarised, raw repetitions kept. */
export interface EngineResult {
  engine: string // adapter name, e.g. 'strata', 'blobtree', 'rocksdb-native', 'lmdb'
  /** The engine's effective options as run (codec, level, bloom bits, cache, WAL, sync). */
  options: Record<string, string | number | boolean>
  /** Notes a reader must see (e.g. "SurrealKV calls go through the SDK, ~1 ms each"). */
  notes: string[]
  opsPerSecond: number // median over repetitions
  opsPerSecondSpread: { min: number; max: number; stddev: number }
  repetitions: number[] // ops/s of each repetition, in run order
  latencyUs: LatencyUs
  storage: StorageFigures
  peakRssBytes: number
  cpuUserMs: number
  cpuSystemMs: number
  /** Ratio of opsPerSecond to the baseline engine's on the same workload (1 for the baseline). */
  ratioToBaseline: number | null
  /** Whether this engine's settings match the baseline's on codec, level, bloom, cache, WAL, sync. */
  parityWithBaseline: boolean
  parityDifferences: string[]
  /** The median repetition's phase figures. Optional: added after v1 shipped. */
  phase?: PhaseFigures
  /** readwhilewriting only. Optional: added after v1 shipped. */
  writer?: WriterFigures
  /** Calls inside the measured span but outside `latencyUs`. Optional: added after v1 shipped. */
  callTimings?: CallTiming[]
}

/** One workload with its parameters and every engine's result. */
export interface WorkloadResult {
  workload: string // 'fillrandom', 'readrandom', 'ycsb-a', …
  parameters: Record<string, string | number | boolean>
  baselineEngine: string
  engines: EngineResult[]
  /** Engines requested but not run on this workload, each with the reason (missing package, unsupported, failed check). Optional: added after v1 shipped, readers treat absence as none. */
  skipped?: Array<{ engine: string; reason: string }>
}

/** The whole file. */
export interface ResultFile {
  schemaVersion: typeof RESULT_SCHEMA_VERSION
  provenance: Provenance
  workloads: WorkloadResult[]
}

/** The entries CI dashboards (github-action-benchmark) consume. */
export interface DashboardEntry {
  name: string
  unit: string
  value: number
  range?: string
  extra?: string
}
