/**
 * A percentile bootstrap confidence interval of a ratio of medians: each side's repetitions are
 * resampled with replacement, the statistic recomputed, and the interval read off the sorted
 * resampled values. Seeded (datasets/ Prng, derived from a label such as the comparison's key),
 * so the same inputs give the same interval on every machine and in every order of comparisons.
 */
import { Prng } from '../../datasets/mod.ts'
import { medianOfSorted } from '../../benchsuite/measure/summary.ts'

/** Resamples per interval: the 5% and 95% percentiles move by under 1% of the ratio past ~1,000. */
export const BOOTSTRAP_RESAMPLE_COUNT = 2000

/** The seed every comparison's generator derives from (with its key as the label). */
export const BOOTSTRAP_SEED = 20261126

/** A two-sided interval of a ratio; 0.9 coverage means 5% of resamples below `low`, 5% above `high`. */
export interface RatioInterval {
  low: number
  high: number
}

/**
 * The median of `values` (not empty).
 * @example medianOf([3, 1, 2]) // 2
 */
export function medianOf(values: readonly number[]): number {
  return medianOfSorted([...values].sort((a, b) => a - b))
}

/**
 * The 90% bootstrap interval of `statistic(medians)`, where `samples` lists the repetitions of each
 * quantity (the gate passes [current, baseline]) and `statistic` combines their resampled medians.
 * Null when a sample is empty or a resample divides by 0.
 * @example
 * ```ts
 * const interval = bootstrapRatioInterval([[70, 72, 69], [100, 98, 103]], ([c, b]) => c / b, 'fillrandom/strata')
 * ```
 */
export function bootstrapRatioInterval(samples: readonly (readonly number[])[], statistic: (medians: number[]) => number, label: string): RatioInterval | null {
  if (samples.some((sample) => sample.length === 0)) return null
  const prng = Prng.derive(BOOTSTRAP_SEED, label)
  const values = new Float64Array(BOOTSTRAP_RESAMPLE_COUNT)
  const scratch = samples.map((sample) => new Array<number>(sample.length))
  for (let i = 0; i < BOOTSTRAP_RESAMPLE_COUNT; i++) {
    const medians = samples.map((sample, s) => {
      for (let j = 0; j < sample.length; j++) scratch[s][j] = sample[prng.nextBelow(sample.length)]
      return medianOf(scratch[s])
    })
    const value = statistic(medians)
    if (!Number.isFinite(value)) return null
    values[i] = value
  }
  values.sort()
  const at = (fraction: number): number => values[Math.min(BOOTSTRAP_RESAMPLE_COUNT - 1, Math.floor(fraction * BOOTSTRAP_RESAMPLE_COUNT))]
  return { low: at(0.05), high: at(0.95) }
}
