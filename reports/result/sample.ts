/**
 * Small hand-made result files for unit tests: every number is chosen so a test can state the
 * expected chart datum or verdict by hand. Not used by the CLI.
 */
import type { EngineResult, ResultFile, WorkloadResult } from '../../benchsuite/result/schema.ts'
import type { LoadedRun } from './read.ts'

/** An engine result with `opsPerSecond` as median and repetitions at ±`spreadFraction`. */
export function sampleEngine(engine: string, opsPerSecond: number, overrides: Partial<EngineResult> = {}, spreadFraction = 0.02): EngineResult {
  const min = opsPerSecond * (1 - spreadFraction)
  const max = opsPerSecond * (1 + spreadFraction)
  return {
    engine,
    options: { codec: 'none' },
    notes: [],
    opsPerSecond,
    opsPerSecondSpread: { min, max, stddev: opsPerSecond * spreadFraction },
    repetitions: [min, opsPerSecond, max],
    latencyUs: { p50: 10, p95: 20, p99: 40, p999: 90, max: 400, mean: 12, count: 1000 },
    storage: {
      userBytesWritten: 1000,
      diskBytesWritten: 2000,
      diskBytesRead: 0,
      directoryBytes: 1100,
      writeAmplification: 2,
      readAmplification: 0,
      spaceAmplification: 1.1,
    },
    peakRssBytes: 100 * 1024 * 1024,
    cpuUserMs: 100,
    cpuSystemMs: 10,
    ratioToBaseline: null,
    parityWithBaseline: true,
    parityDifferences: [],
    ...overrides,
  }
}

/** A workload with its engines; ratios to the baseline are filled in. */
export function sampleWorkload(workload: string, engines: EngineResult[], parameters: WorkloadResult['parameters'] = { keyCount: 1000 }, baselineEngine = engines[0].engine): WorkloadResult {
  const baseline = engines.find((e) => e.engine === baselineEngine)
  return {
    workload,
    parameters,
    baselineEngine,
    engines: engines.map((e) => ({ ...e, ratioToBaseline: baseline ? e.opsPerSecond / baseline.opsPerSecond : null })),
  }
}

/** A whole result file around `workloads`. */
export function sampleResult(workloads: WorkloadResult[], provenance: Partial<ResultFile['provenance']> = {}): ResultFile {
  return {
    schemaVersion: 1,
    provenance: {
      gitCommit: '0123456789abcdef0123456789abcdef01234567',
      gitDirty: false,
      startedAt: '2025-06-01T00:00:00.000Z',
      hostname: 'test-host',
      platform: 'linux x64',
      cpuModel: 'Test CPU',
      cpuCount: 2,
      memoryBytes: 8 * 1024 ** 3,
      nodeVersion: 'v20.20.2',
      packageVersions: { 'strata-kv': '0.1.0' },
      preset: 'rocksdb-parity',
      suite: 'quick',
      seed: 1,
      source: 'strata-bench',
      ...provenance,
    },
    workloads,
  }
}

/** A loaded run around a result, labelled `label`. */
export function sampleRun(label: string, result: ResultFile): LoadedRun {
  return { path: `${label}.json`, label, result }
}
