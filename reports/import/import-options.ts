/**
 * Options shared by the importers: the provenance an external tool's output does not carry,
 * given on the command line so an imported run still says where and what it was.
 */
import type { Provenance } from '../../benchsuite/result/schema.ts'
import { medianOfSorted } from '../../benchsuite/measure/summary.ts'

/** What the caller knows about an imported run; every field has a stated default. */
export interface ImportOptions {
  /** Engine name for the results (db_bench: default 'rocksdb-db_bench'; criterion: the function id). */
  engine?: string
  /** Baseline engine for ratios (criterion: default 'rocksdb' when present, else the first engine by name). */
  baselineEngine?: string
  /** Commit of the code that ran, default 'unknown'. */
  commit?: string
  /** ISO 8601 start time; default from the input (db_bench's Date line, criterion's file times). */
  startedAt?: string
  /** Machine name, default 'unknown'. */
  hostname?: string
  /** Preset label, default 'rocksdb-parity' (peers always run at their documented baseline). */
  preset?: Provenance['preset']
  /** criterion only: the name of the parameter in the benchmark id's value part, default 'parameter'. */
  parameterName?: string
}

/** Provenance fields an importer cannot know, with honest placeholders. */
export function importedProvenance(source: string, options: ImportOptions, known: Partial<Provenance>): Provenance {
  return {
    gitCommit: options.commit ?? 'unknown',
    gitDirty: false,
    startedAt: options.startedAt ?? known.startedAt ?? new Date(0).toISOString(),
    hostname: options.hostname ?? 'unknown',
    platform: known.platform ?? 'unknown',
    cpuModel: known.cpuModel ?? 'unknown',
    cpuCount: known.cpuCount ?? 0,
    memoryBytes: 0,
    nodeVersion: 'n/a',
    packageVersions: known.packageVersions ?? {},
    preset: options.preset ?? 'rocksdb-parity',
    suite: source,
    seed: 0,
    source,
  }
}

/** Median, min, max and sample standard deviation of positive values (at least one). */
export function summarise(values: readonly number[]): { median: number; min: number; max: number; stddev: number } {
  const sorted = [...values].sort((a, b) => a - b)
  const median = medianOfSorted(sorted)
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length
  const stddev = sorted.length < 2 ? 0 : Math.sqrt(sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (sorted.length - 1))
  return { median, min: sorted[0], max: sorted[sorted.length - 1], stddev }
}

/** Storage figures an importer did not measure: all zero, which charts read as "not measured". */
export const UNMEASURED_STORAGE = {
  userBytesWritten: 0,
  diskBytesWritten: 0,
  diskBytesRead: 0,
  directoryBytes: 0,
  writeAmplification: 0,
  readAmplification: 0,
  spaceAmplification: 0,
} as const
