/**
 * Throughput per workload and engine: a bar per engine at the median of its repetitions, a rule
 * from the slowest to the fastest repetition, one panel per workload with its own y scale
 * (workloads differ by orders of magnitude, so a shared scale would flatten most bars).
 */
import type { EngineRow } from '../result/rows.ts'
import { distinct } from '../result/rows.ts'
import { baseSpec, engineColor, engineOrder, type Figure } from './figure.ts'

/** One bar of the throughput chart. */
export interface ThroughputDatum {
  workload: string
  engine: string
  opsPerSecond: number
  minOpsPerSecond: number
  maxOpsPerSecond: number
  ratioToBaseline: number | null
}

/** The chart data: one datum per row, in row order. */
export function throughputData(rows: readonly EngineRow[]): ThroughputDatum[] {
  return rows.map((row) => ({
    workload: row.workloadLabel,
    engine: row.engine,
    opsPerSecond: row.result.opsPerSecond,
    minOpsPerSecond: row.result.opsPerSecondSpread.min,
    maxOpsPerSecond: row.result.opsPerSecondSpread.max,
    ratioToBaseline: row.result.ratioToBaseline,
  }))
}

/**
 * Builds the throughput figure, or null when there are no rows.
 * @example
 * ```ts
 * const figure = throughputFigure(engineRows(runs), 'run-1-throughput')
 * ```
 */
export function throughputFigure(rows: readonly EngineRow[], id: string, pageEngines?: readonly string[]): Figure | null {
  if (rows.length === 0) return null
  const data = throughputData(rows)
  const engines = engineOrder(data.map((d) => d.engine))
  const workloads = distinct(data.map((d) => d.workload))
  const title = 'Throughput per workload and engine'
  const description =
    `Bar chart of median throughput in operations per second for ${engines.length} engines on ` +
    `${workloads.length} workloads; rules span the slowest to the fastest repetition.`
  const x = { field: 'engine', type: 'nominal', title: 'Engine', sort: engines, axis: { labelAngle: -30 } }
  const spec = baseSpec(title, description, data, {
    facet: { field: 'workload', type: 'nominal', title: 'Workload', sort: workloads },
    columns: Math.min(3, workloads.length),
    spec: {
      width: 200,
      height: 170,
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            x,
            y: { field: 'opsPerSecond', type: 'quantitative', title: 'Throughput (ops/s, median)' },
            color: engineColor(engines, pageEngines),
          },
        },
        {
          mark: { type: 'rule', color: '#333', strokeWidth: 1.5 },
          encoding: {
            x,
            y: { field: 'minOpsPerSecond', type: 'quantitative' },
            y2: { field: 'maxOpsPerSecond' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
  })
  return {
    id,
    title,
    description,
    spec,
    table: {
      columns: [
        { label: 'Workload' },
        { label: 'Engine' },
        { label: 'Throughput, median', unit: 'ops/s', numeric: true },
        { label: 'Slowest repetition', unit: 'ops/s', numeric: true },
        { label: 'Fastest repetition', unit: 'ops/s', numeric: true },
      ],
      rows: data.map((d) => [d.workload, d.engine, d.opsPerSecond, d.minOpsPerSecond, d.maxOpsPerSecond]),
    },
  }
}
