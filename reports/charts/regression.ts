/**
 * Charts of a comparison: the change of median throughput per workload and engine against the
 * thresholds, and both runs' repetition ranges relative to the baseline median, so a reader sees
 * at once whether a change is larger than the noise.
 */
import { formatChange } from '../format.ts'
import type { Change, ChangeLevel, Thresholds } from '../regression/compare.ts'
import { baseSpec, type Figure } from './figure.ts'

/** Colours per level (Okabe-Ito); the level is also written in the table and tooltip, never colour alone. */
export const LEVEL_COLORS: Readonly<Record<Exclude<ChangeLevel, 'missing' | 'new'>, string>> = {
  fail: '#D55E00',
  alert: '#E69F00',
  noise: '#999999',
  drift: '#56B4E9',
  ok: '#C8C8C8',
  improved: '#0072B2',
}

/** One bar of the change chart. */
export interface ChangeDatum {
  label: string
  workload: string
  engine: string
  changePercent: number
  level: ChangeLevel
}

/** One range of the interval chart, in percent of the baseline median. */
export interface IntervalDatum {
  label: string
  side: 'baseline' | 'current'
  medianPercent: number
  lowPercent: number
  highPercent: number
}

const labelOf = (change: Change): string => `${change.workloadLabel} · ${change.engine}`
const compared = (changes: readonly Change[]): Change[] => changes.filter((c) => c.changeFraction !== null && c.baseline !== null && c.current !== null)

/** The change chart's data: every comparison with both sides, in input order. */
export function changeData(changes: readonly Change[]): ChangeDatum[] {
  return compared(changes).map((c) => ({ label: labelOf(c), workload: c.workloadLabel, engine: c.engine, changePercent: round2(c.changeFraction! * 100), level: c.level }))
}

/** The interval chart's data: baseline and current ranges, each relative to the baseline median. */
export function intervalData(changes: readonly Change[]): IntervalDatum[] {
  return compared(changes).flatMap((c) => {
    const base = c.baseline!.medianOpsPerSecond
    const percent = (value: number): number => round2((value / base) * 100)
    return (['baseline', 'current'] as const).map((side) => {
      const m = side === 'baseline' ? c.baseline! : c.current!
      return { label: labelOf(c), side, medianPercent: percent(m.medianOpsPerSecond), lowPercent: percent(m.lowOpsPerSecond), highPercent: percent(m.highOpsPerSecond) }
    })
  })
}

function round2(value: number): number {
  return Math.round(value * 100) / 100
}

/** Builds the change chart with the alert and fail thresholds drawn as rules. */
export function changeFigure(changes: readonly Change[], thresholds: Thresholds, id: string): Figure | null {
  const data = changeData(changes)
  if (data.length === 0) return null
  const levels = Object.keys(LEVEL_COLORS)
  const title = 'Change in median throughput, current vs baseline'
  const description =
    `Horizontal bar chart of the change in median throughput in percent for ${data.length} workload and engine pairs; ` +
    `dashed rules mark the alert threshold (±${thresholds.alertFraction * 100}%) and the fail threshold (−${thresholds.failFraction * 100}%).`
  const rules = [
    { thresholdPercent: -thresholds.alertFraction * 100, threshold: 'alert' },
    { thresholdPercent: thresholds.alertFraction * 100, threshold: 'alert' },
    { thresholdPercent: -thresholds.failFraction * 100, threshold: 'fail' },
  ]
  const spec = baseSpec(title, description, data, {
    width: 520,
    height: { step: 16 },
    layer: [
      {
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'label', type: 'nominal', title: 'Workload · engine', sort: data.map((d) => d.label) },
          x: { field: 'changePercent', type: 'quantitative', title: 'Change in median throughput (%)' },
          color: { field: 'level', type: 'nominal', title: 'Verdict', scale: { domain: levels, range: levels.map((l) => LEVEL_COLORS[l as keyof typeof LEVEL_COLORS]) } },
        },
      },
      {
        data: { values: rules },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#333' },
        encoding: { x: { field: 'thresholdPercent', type: 'quantitative' }, tooltip: [{ field: 'threshold' }, { field: 'thresholdPercent', title: 'percent' }] },
      },
    ],
  })
  return {
    id,
    title,
    description,
    spec,
    table: {
      columns: [{ label: 'Workload' }, { label: 'Engine' }, { label: 'Change', unit: '%' }, { label: 'Verdict' }],
      rows: data.map((d) => [d.workload, d.engine, formatChange(d.changePercent / 100), d.level]),
    },
  }
}

/** Builds the interval chart: a rule per repetition range and a point at each median. */
export function intervalFigure(changes: readonly Change[], id: string): Figure | null {
  const data = intervalData(changes)
  if (data.length === 0) return null
  const title = 'Repetition ranges relative to the baseline median'
  const description =
    'Range chart: for each workload and engine, the slowest to fastest repetition of the baseline and of the current run, ' +
    'in percent of the baseline median, with a point at each median. Ranges that overlap mean the change is within the noise.'
  const y = { field: 'label', type: 'nominal', title: 'Workload · engine', sort: [...new Set(data.map((d) => d.label))] }
  const color = { field: 'side', type: 'nominal', title: 'Run', scale: { domain: ['baseline', 'current'], range: ['#7F7F7F', '#0072B2'] } }
  const spec = baseSpec(title, description, data, {
    width: 520,
    height: { step: 22 },
    encoding: { y, yOffset: { field: 'side', type: 'nominal', sort: ['baseline', 'current'] }, color },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'lowPercent', type: 'quantitative', title: 'Throughput (% of baseline median)', scale: { zero: false } }, x2: { field: 'highPercent' } } },
      { mark: { type: 'point', filled: true, size: 40, tooltip: true }, encoding: { x: { field: 'medianPercent', type: 'quantitative' }, shape: { field: 'side', type: 'nominal', scale: { domain: ['baseline', 'current'], range: ['circle', 'diamond'] } } } },
    ],
  })
  return {
    id,
    title,
    description,
    spec,
    table: {
      columns: [
        { label: 'Workload · engine' },
        { label: 'Run' },
        { label: 'Median', unit: '% of baseline median', numeric: true },
        { label: 'Slowest repetition', unit: '%', numeric: true },
        { label: 'Fastest repetition', unit: '%', numeric: true },
      ],
      rows: data.map((d) => [d.label, d.side, d.medianPercent, d.lowPercent, d.highPercent]),
    },
  }
}
