/** Median and spread of repetitions: the numbers a result file keeps for each engine × workload. */

export interface Spread {
  median: number
  min: number
  max: number
  stddev: number
}

/**
 * The median of `sorted` (ascending, not empty).
 * @example medianOfSorted([1, 2, 3, 4]) // 2.5
 */
export function medianOfSorted(sorted: readonly number[]): number {
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function summarize(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0, stddev: 0 }
  const sorted = [...values].sort((a, b) => a - b)
  const median = medianOfSorted(sorted)
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length
  const variance = values.length < 2 ? 0 : values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1)
  return { median, min: sorted[0], max: sorted[sorted.length - 1], stddev: Math.sqrt(variance) }
}

/** a / b, or 0 when b is 0 (result files stay free of NaN and Infinity). */
export function safeRatio(numerator: number, denominator: number): number {
  return denominator > 0 && Number.isFinite(numerator) ? numerator / denominator : 0
}
