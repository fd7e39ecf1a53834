/**
 * What one latency sample of a workload is, and which percentiles a sample count supports. The
 * workloads time different calls (benchsuite/workloads/: a fill times one putBatch of `batchSize`
 * entries, readseq one scan of the whole store), so "p99 latency" without the unit misleads: a
 * report or dashboard names the sample and the count beside every latency it prints.
 */

type Parameters = Readonly<Record<string, string | number | boolean>>

/** '1,000-entry ' when `value` is a number, '' when the parameter is absent (some imports). */
function sized(value: unknown, noun: string): string {
  return typeof value === 'number' ? `${value.toLocaleString('en-US')}-${noun} ` : ''
}

/** Which calls a workload times, by workload name. */
const SAMPLES: Readonly<Record<string, (parameters: Parameters) => string>> = {
  fillseq: (p) => `per ${sized(p.batchSize, 'entry')}write batch`,
  fillrandom: (p) => `per ${sized(p.batchSize, 'entry')}write batch`,
  overwrite: (p) => `per ${sized(p.batchSize, 'entry')}write batch`,
  deleterandom: (p) => `per ${sized(p.batchSize, 'key')}delete batch`,
  multiget: (p) => `per ${sized(p.batchSize, 'key')}multiget`,
  readrandom: () => 'per get',
  readwhilewriting: () => 'per get (reader)',
  seekrandom: (p) => `per seek and ${sized(p.scanLength, 'entry')}scan`,
  readseq: () => 'per full scan',
  // Flush and compact calls are timed apart (callTimings), not in the histogram.
  compaction: (p) => `per ${sized(p.batchSize, 'entry')}write batch`,
  'ycsb-a': () => 'per YCSB operation (read or update)',
  'ycsb-b': () => 'per YCSB operation (read or update)',
  'ycsb-c': () => 'per YCSB operation (read)',
  'ycsb-d': () => 'per YCSB operation (read or insert)',
  'ycsb-e': () => 'per YCSB operation (scan or insert)',
  'ycsb-f': () => 'per YCSB operation (read or read-modify-write)',
}

/** What a sample is for a workload this file does not know (an import's own name). */
export const UNKNOWN_SAMPLE = 'per sample (as its source timed it)'

/**
 * A percentile q is shown only with at least 1 / (1 − q) samples: below that the "p99" of 50
 * samples is just their maximum. p50 and max need one sample.
 */
export const PERCENTILE_SAMPLE_COUNT_MIN = { p50: 1, p95: 20, p99: 100, p999: 1000, max: 1 } as const

/** A latency percentile field of the result schema. */
export type PercentileField = keyof typeof PERCENTILE_SAMPLE_COUNT_MIN

/**
 * Says what one latency sample of `workload` is, e.g. 'per 1,000-entry write batch'.
 * @example latencySampleOf('readseq', {}) // 'per full scan'
 */
export function latencySampleOf(workload: string, parameters: Parameters): string {
  return SAMPLES[workload]?.(parameters) ?? UNKNOWN_SAMPLE
}

/**
 * Whether `count` samples support the percentile `field`.
 * @example percentileSupported('p999', 200) // false
 */
export function percentileSupported(field: PercentileField, count: number): boolean {
  return count >= PERCENTILE_SAMPLE_COUNT_MIN[field]
}

/** The workload names this file describes (a test checks every registered workload is one). */
export const DESCRIBED_WORKLOADS: readonly string[] = Object.keys(SAMPLES)
