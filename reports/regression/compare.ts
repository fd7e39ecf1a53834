/**
 * The regression math: compares a current run with a baseline per workload instance and engine,
 * on throughput (bigger is better). The rule (docs/reports.md "The regression rule"):
 *
 * - the change is the ratio of medians minus 1; with 3–5 repetitions the median is the only
 *   robust summary, and a bootstrap interval of that ratio (90%, seeded, over the engine's own
 *   repetitions on both sides) says how far their noise moves it;
 * - drift correction: an engine is also compared through its ratio to the workload's baseline
 *   engine (a peer such as rocksdb-native) measured in the same run, which cancels a machine that
 *   is slower or faster as a whole. A drop counts only as far as both the raw and the paired
 *   change show it (the smaller of the two), so machine drift (raw only) and a noisy peer (paired
 *   only) do not alarm, while a Strata regression (both) does;
 * - a drop past the fail threshold fails whatever the interval says: with 3 repetitions the 90%
 *   interval's ends are the extreme repetitions, and one outlier repetition would otherwise hide a
 *   40% drop (the review's finding 4). Between the alert and the fail threshold a drop alerts only
 *   when the interval lies wholly below no change; else it is noise;
 * - the reference engine the others are paired with is not judged itself: its code did not change
 *   (the provenance warns when its package version did), so its move past the threshold is the
 *   machine's and is marked `drift`.
 */
import type { EngineRow } from '../result/rows.ts'
import { workloadKeyOf } from '../result/rows.ts'
import { bootstrapRatioInterval, medianOf, type RatioInterval } from './bootstrap.ts'

/** Thresholds as fractions: 0.10 means 10%. */
export interface Thresholds {
  /** A drop of at least this fraction, outside the noise, is an alert. */
  alertFraction: number
  /** A drop of at least this fraction fails the gate. */
  failFraction: number
}

/** What one comparison concluded. */
export type ChangeLevel = 'fail' | 'alert' | 'noise' | 'drift' | 'ok' | 'improved' | 'missing' | 'new'

/** One side of a comparison: the repetitions, their median and range. */
export interface Measurement {
  medianOpsPerSecond: number
  lowOpsPerSecond: number
  highOpsPerSecond: number
  repetitionCount: number
  /** The repetitions (ops/s) the median was taken over; [median] for a summary without them. */
  repetitionsOpsPerSecond: readonly number[]
}

/** The comparison of one workload instance and engine. */
export interface Change {
  workload: string
  workloadLabel: string
  /** The workload's name and parameters without its seed: what the two sides are matched on. */
  workloadKey: string
  engine: string
  baseline: Measurement | null
  current: Measurement | null
  /** (current − baseline) / baseline medians; null when a side is missing or the baseline is 0. */
  changeFraction: number | null
  /** The peer the paired change divides by (the workload's baseline engine), null when none. */
  peerEngine: string | null
  /** The change of (engine median / peer median) between the runs; null without a peer. */
  pairedChangeFraction: number | null
  /** 90% bootstrap interval of `changeFraction` over both sides' repetitions, as fractions. */
  interval: RatioInterval | null
  level: ChangeLevel
}

/**
 * The whole verdict. `no-match`: no workload and engine was measured on both sides (another seed,
 * other parameters, wrong folder); `incomplete`: some baseline rows are missing from the current run.
 */
export type Verdict = 'fail' | 'no-match' | 'incomplete' | 'alert' | 'ok'

/** The exit status for each verdict: 1 fail, 3 the runs do not cover each other, 0 otherwise. */
const EXIT_STATUS: Readonly<Record<Verdict, 0 | 1 | 3>> = { fail: 1, 'no-match': 3, incomplete: 3, alert: 0, ok: 0 }

/**
 * Summarises repetitions (ops/s) as median and [min, max]. Falls back to the median alone.
 * @example measurementOf([90, 100, 110], 100).medianOpsPerSecond // 100
 */
export function measurementOf(repetitions: readonly number[], fallbackMedian: number): Measurement {
  const values = repetitions.length === 0 ? [fallbackMedian] : [...repetitions].sort((a, b) => a - b)
  return {
    medianOpsPerSecond: medianOf(values),
    lowOpsPerSecond: values[0],
    highOpsPerSecond: values[values.length - 1],
    repetitionCount: values.length,
    repetitionsOpsPerSecond: values,
  }
}

/** Pools the repetitions of every row (one per run) of the same workload instance and engine. */
export function pooledMeasurement(rows: readonly EngineRow[]): Measurement {
  const repetitions = rows.flatMap((row) => (row.result.repetitions.length > 0 ? row.result.repetitions : [row.result.opsPerSecond]))
  if (rows.length === 1 && rows[0].result.repetitions.length === 0) {
    const { min, max } = rows[0].result.opsPerSecondSpread
    const median = rows[0].result.opsPerSecond
    // A summary without raw repetitions (some imports) still knows its spread; keep it for display when sane.
    if (min <= median && median <= max && max > 0) return { ...measurementOf([], median), lowOpsPerSecond: min, highOpsPerSecond: max }
  }
  return measurementOf(repetitions, rows[0]?.result.opsPerSecond ?? 0)
}

/** Both sides of the peer a change is paired with. */
export interface PeerMeasurements {
  engine: string
  baseline: Measurement
  current: Measurement
}

// A tiny epsilon keeps "exactly 10% at a 10% threshold" past the threshold despite float rounding.
const EPSILON = 1e-9

/**
 * Classifies one comparison (see the file comment for the rule). `label` seeds the bootstrap.
 * @example classifyChange(m(100), m(70), null, { alertFraction: 0.1, failFraction: 0.25 }, 'w').level // 'fail'
 */
export function classifyChange(
  baseline: Measurement,
  current: Measurement,
  peer: PeerMeasurements | null,
  thresholds: Thresholds,
  label: string,
): Pick<Change, 'changeFraction' | 'peerEngine' | 'pairedChangeFraction' | 'interval' | 'level'> {
  const none = { changeFraction: null, peerEngine: null, pairedChangeFraction: null, interval: null, level: 'ok' as const }
  if (baseline.medianOpsPerSecond <= 0) return none
  const changeFraction = current.medianOpsPerSecond / baseline.medianOpsPerSecond - 1
  const paired = peer !== null && peer.baseline.medianOpsPerSecond > 0 && peer.current.medianOpsPerSecond > 0
  const pairedChangeFraction = paired ? (current.medianOpsPerSecond / peer.current.medianOpsPerSecond) / (baseline.medianOpsPerSecond / peer.baseline.medianOpsPerSecond) - 1 : null
  const decisive = pairedChangeFraction === null ? changeFraction : agreedChange(changeFraction, pairedChangeFraction)
  const ratio = bootstrapRatioInterval([current.repetitionsOpsPerSecond, baseline.repetitionsOpsPerSecond], ([c, b]) => c / b, label)
  const interval = ratio === null ? null : { low: ratio.low - 1, high: ratio.high - 1 }
  let level: ChangeLevel = 'ok'
  if (decisive <= -thresholds.failFraction + EPSILON) level = 'fail'
  else if (decisive <= -thresholds.alertFraction + EPSILON) level = interval !== null && interval.high < 0 ? 'alert' : 'noise'
  else if (decisive >= thresholds.alertFraction - EPSILON) level = interval !== null && interval.low > 0 ? 'improved' : 'noise'
  else if (Math.abs(changeFraction) >= thresholds.alertFraction - EPSILON || Math.abs(pairedChangeFraction ?? 0) >= thresholds.alertFraction - EPSILON) level = 'noise'
  return { changeFraction, peerEngine: paired ? peer.engine : null, pairedChangeFraction, interval, level }
}

/** The part of a move both the raw and the paired change agree on: the smaller one of equal sign, else 0. */
function agreedChange(raw: number, paired: number): number {
  if (Math.sign(raw) !== Math.sign(paired)) return 0
  return Math.sign(raw) * Math.min(Math.abs(raw), Math.abs(paired))
}

/**
 * The key two sides are matched on: the workload's name and parameters without `seed`. Another
 * seed draws other keys from the same distributions, so the rows stay comparable; the provenance
 * warnings say the seeds differ.
 */
export function comparisonKeyOf(row: EngineRow): string {
  const { seed: _seed, ...parameters } = row.parameters
  return workloadKeyOf(row.workload, parameters)
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
    const identity = { workload: sample.workload, workloadLabel: sample.workloadLabel, workloadKey: comparisonKeyOf(sample), engine: sample.engine }
    const unmatched = { changeFraction: null, peerEngine: null, pairedChangeFraction: null, interval: null }
    if (before === undefined) return { ...identity, ...unmatched, baseline: null, current: pooledMeasurement(after!), level: 'new' }
    if (after === undefined) return { ...identity, ...unmatched, baseline: pooledMeasurement(before), current: null, level: 'missing' }
    const baseline = pooledMeasurement(before)
    const current = pooledMeasurement(after)
    const change = classifyChange(baseline, current, peerOf(sample, baselineGroups, currentGroups), thresholds, key)
    const reference = isReference(sample, baselineGroups, currentGroups)
    return { ...identity, baseline, current, ...change, level: reference && change.level !== 'ok' ? 'drift' : change.level }
  })
}

/** Whether `row`'s engine is the workload's baseline engine and another engine is paired with it. */
function isReference(row: EngineRow, baselineGroups: Map<string, EngineRow[]>, currentGroups: Map<string, EngineRow[]>): boolean {
  if (row.baselineEngine !== row.engine) return false
  const workloadKey = comparisonKeyOf(row)
  return [...baselineGroups.values()].some(([other]) => other.engine !== row.engine && comparisonKeyOf(other) === workloadKey && currentGroups.has(groupKey(workloadKey, other.engine)))
}

/** The workload's baseline engine on both sides, when it is another engine measured on both. */
function peerOf(row: EngineRow, baselineGroups: Map<string, EngineRow[]>, currentGroups: Map<string, EngineRow[]>): PeerMeasurements | null {
  if (row.baselineEngine === row.engine) return null
  const key = groupKey(comparisonKeyOf(row), row.baselineEngine)
  const before = baselineGroups.get(key)
  const after = currentGroups.get(key)
  if (before === undefined || after === undefined) return null
  return { engine: row.baselineEngine, baseline: pooledMeasurement(before), current: pooledMeasurement(after) }
}

function groupKey(workloadKey: string, engine: string): string {
  return `${workloadKey}\u0000${engine}`
}

function groupRows(rows: readonly EngineRow[]): Map<string, EngineRow[]> {
  const groups = new Map<string, EngineRow[]>()
  for (const row of rows) {
    const key = groupKey(comparisonKeyOf(row), row.engine)
    groups.set(key, [...(groups.get(key) ?? []), row])
  }
  return groups
}

/**
 * The gate's verdict, worst first: `fail` when any change failed; `no-match` when no row was on
 * both sides; `incomplete` when a baseline row is missing from the current run (unless
 * `allowMissing`, for a deliberate rename); `alert` when any change alerted; else `ok`.
 */
export function verdictOf(changes: readonly Change[], options: { allowMissing?: boolean } = {}): Verdict {
  if (changes.some((change) => change.level === 'fail')) return 'fail'
  if (!changes.some((change) => change.baseline !== null && change.current !== null)) return 'no-match'
  if (!options.allowMissing && changes.some((change) => change.level === 'missing')) return 'incomplete'
  if (changes.some((change) => change.level === 'alert')) return 'alert'
  return 'ok'
}

/** The exit status of `strata report compare`: 1 on fail, 3 on no-match or incomplete, 0 otherwise (alerts warn only). */
export function exitStatusOf(verdict: Verdict): 0 | 1 | 3 {
  return EXIT_STATUS[verdict]
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
