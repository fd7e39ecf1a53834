/**
 * The regression math: compares a current run with a baseline per workload instance and engine,
 * on throughput (bigger is better). Noise-aware: a change counts only when it passes the
 * threshold AND the two runs' repetition ranges do not overlap, because a move inside the spread
 * the runs themselves showed is not evidence of a change. Several runs on one side (a folder of
 * recent baselines) pool their repetitions.
 */
import type { EngineRow } from '../result/rows.ts'

/** Thresholds as fractions: 0.10 means 10%. */
export interface Thresholds {
  /** A drop of at least this fraction, outside the noise, is an alert. */
  alertFraction: number
  /** A drop of at least this fraction, outside the noise, fails the gate. */
  failFraction: number
}

/** What one comparison concluded. */
export type ChangeLevel = 'fail' | 'alert' | 'noise' | 'ok' | 'improved' | 'missing' | 'new'

/** One side of a comparison: the median and the range of the repetitions behind it. */
export interface Measurement {
  medianOpsPerSecond: number
  lowOpsPerSecond: number
  highOpsPerSecond: number
  repetitionCount: number
}

/** The comparison of one workload instance and engine. */
export interface Change {
  workload: string
  workloadLabel: string
  workloadKey: string
  engine: string
  baseline: Measurement | null
  current: Measurement | null
  /** (current − baseline) / baseline medians; null when a side is missing or the baseline is 0. */
  changeFraction: number | null
  /** Whether the repetition ranges overlap; null when a side is missing. */
  overlapping: boolean | null
  level: ChangeLevel
}

/** The whole verdict: the worst level that decides the exit status. */
export type Verdict = 'fail' | 'alert' | 'ok'

/**
 * Summarises repetitions (ops/s) as median and [min, max]. Falls back to the median alone.
 * @example measurementOf([90, 100, 110], 100) // { medianOpsPerSecond: 100, lowOpsPerSecond: 90, highOpsPerSecond: 110, repetitionCount: 3 }
 */
export function measurementOf(repetitions: readonly number[], fallbackMedian: number): Measurement {
  if (repetitions.length === 0) {
    return { medianOpsPerSecond: fallbackMedian, lowOpsPerSecond: fallbackMedian, highOpsPerSecond: fallbackMedian, repetitionCount: 1 }
  }
  const sorted = [...repetitions].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  return { medianOpsPerSecond: median, lowOpsPerSecond: sorted[0], highOpsPerSecond: sorted[sorted.length - 1], repetitionCount: sorted.length }
}

/** Pools the repetitions of every row (one per run) of the same workload instance and engine. */
export function pooledMeasurement(rows: readonly EngineRow[]): Measurement {
  const repetitions = rows.flatMap((row) => (row.result.repetitions.length > 0 ? row.result.repetitions : [row.result.opsPerSecond]))
  if (rows.length === 1 && rows[0].result.repetitions.length === 0) {
    const { min, max } = rows[0].result.opsPerSecondSpread
    const median = rows[0].result.opsPerSecond
    // A summary without raw repetitions (some imports) still knows its spread; keep it when sane.
    if (min <= median && median <= max && max > 0) return { medianOpsPerSecond: median, lowOpsPerSecond: min, highOpsPerSecond: max, repetitionCount: 1 }
  }
  return measurementOf(repetitions, rows[0]?.result.opsPerSecond ?? 0)
}

/**
 * Classifies one comparison. Drops: `fail` past failFraction, `alert` past alertFraction; rises
 * past alertFraction: `improved`; either, when the ranges overlap: `noise`; else `ok`.
 */
export function classifyChange(baseline: Measurement, current: Measurement, thresholds: Thresholds): Pick<Change, 'changeFraction' | 'overlapping' | 'level'> {
  const overlapping = current.lowOpsPerSecond <= baseline.highOpsPerSecond && baseline.lowOpsPerSecond <= current.highOpsPerSecond
  if (baseline.medianOpsPerSecond <= 0) return { changeFraction: null, overlapping, level: 'ok' }
  const changeFraction = (current.medianOpsPerSecond - baseline.medianOpsPerSecond) / baseline.medianOpsPerSecond
  const magnitude = Math.abs(changeFraction)
  // A tiny epsilon keeps "exactly 10% at a 10% threshold" past the threshold despite float rounding.
  const epsilon = 1e-9
  let level: ChangeLevel = 'ok'
  if (magnitude + epsilon >= thresholds.alertFraction) {
    if (overlapping) level = 'noise'
    else if (changeFraction > 0) level = 'improved'
    else level = magnitude + epsilon >= thresholds.failFraction ? 'fail' : 'alert'
  }
  return { changeFraction, overlapping, level }
}

/**
 * Compares every workload instance and engine present on either side.
 * @example
 * ```ts
 * const changes = compareRows(engineRows(baselineRuns), engineRows(currentRuns), { alertFraction: 0.1, failFraction: 0.25 })
 * ```
 */
export function compareRows(baselineRows: readonly EngineRow[], currentRows: readonly EngineRow[], thresholds: Thresholds): Change[] {
  const baselineGroups = groupRows(baselineRows)
  const currentGroups = groupRows(currentRows)
  const keys = [...new Set([...baselineGroups.keys(), ...currentGroups.keys()])]
  return keys.map((key) => {
    const before = baselineGroups.get(key)
    const after = currentGroups.get(key)
    const sample = (after ?? before)![0]
    const identity = { workload: sample.workload, workloadLabel: sample.workloadLabel, workloadKey: sample.workloadKey, engine: sample.engine }
    if (before === undefined) return { ...identity, baseline: null, current: pooledMeasurement(after!), changeFraction: null, overlapping: null, level: 'new' }
    if (after === undefined) return { ...identity, baseline: pooledMeasurement(before), current: null, changeFraction: null, overlapping: null, level: 'missing' }
    const baseline = pooledMeasurement(before)
    const current = pooledMeasurement(after)
    return { ...identity, baseline, current, ...classifyChange(baseline, current, thresholds) }
  })
}

function groupRows(rows: readonly EngineRow[]): Map<string, EngineRow[]> {
  const groups = new Map<string, EngineRow[]>()
  for (const row of rows) {
    const key = `${row.workloadKey}\u0000${row.engine}`
    groups.set(key, [...(groups.get(key) ?? []), row])
  }
  return groups
}

/** The gate's verdict: `fail` when any change failed, else `alert` when any alerted, else `ok`. */
export function verdictOf(changes: readonly Change[]): Verdict {
  if (changes.some((change) => change.level === 'fail')) return 'fail'
  if (changes.some((change) => change.level === 'alert')) return 'alert'
  return 'ok'
}

/** The exit status of `strata report compare`: 1 on fail, 0 otherwise (alerts warn only). */
export function exitStatusOf(verdict: Verdict): 0 | 1 {
  return verdict === 'fail' ? 1 : 0
}

/**
 * Parses a threshold given in percent, with or without the sign: '10%' and '10' both give 0.1
 * (so '0.5' means half a percent, not 50%). Accepts values in (0, 100); null otherwise.
 */
export function parseThreshold(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text)
  if (match === null) return null
  const percent = Number(match[1])
  if (!(percent > 0) || percent >= 100) return null
  return percent / 100
}
