/**
 * Latency percentiles per workload and engine: p50 → max on an ordinal axis, microseconds on a
 * log scale (tails run 10–100× the median). A sample is what the workload times (a get, a write
 * batch, a full scan), so each panel names it. Left out: results with no latency histogram
 * (count 0, as imports without one write), non-positive values (a log scale cannot show 0, and 0
 * would mean "not measured", not "instant") and percentiles the sample count cannot support
 * (p99 below 100 samples, p99.9 below 1,000: they would only repeat the maximum).
 */
import { latencySampleOf, percentileSupported } from '../../benchsuite/result/latency-sample.ts'
import type { EngineRow } from '../result/rows.ts'
import { distinct } from '../result/rows.ts'
import { baseSpec, engineColor, engineOrder, engineShape, type Figure } from './figure.ts'

/** The percentiles in axis order, with their result field. */
export const PERCENTILES = [
  { label: 'p50', field: 'p50' },
  { label: 'p95', field: 'p95' },
  { label: 'p99', field: 'p99' },
  { label: 'p99.9', field: 'p999' },
  { label: 'max', field: 'max' },
] as const

/** One point of the latency chart. */
export interface LatencyDatum {
  /** The workload label and what one sample is, e.g. 'readseq, per full scan'. */
  workload: string
  engine: string
  sampleCount: number
  percentile: string
  latencyUs: number
}

/** The chart data: a point per measured, positive percentile of each row. */
export function latencyData(rows: readonly EngineRow[]): LatencyDatum[] {
  const data: LatencyDatum[] = []
  for (const row of rows) {
    const sampleCount = row.result.latencyUs.count
    if (sampleCount === 0) continue
    const workload = `${row.workloadLabel}, ${latencySampleOf(row.workload, row.parameters)}`
    for (const { label, field } of PERCENTILES) {
      const latencyUs = row.result.latencyUs[field]
      if (latencyUs > 0 && percentileSupported(field, sampleCount)) data.push({ workload, engine: row.engine, sampleCount, percentile: label, latencyUs })
    }
  }
  return data
}

/** Builds the latency figure, or null when no row has a latency histogram. */
export function latencyFigure(rows: readonly EngineRow[], id: string, pageEngines?: readonly string[]): Figure | null {
  const data = latencyData(rows)
  if (data.length === 0) return null
  const engines = engineOrder(data.map((d) => d.engine))
  const workloads = distinct(data.map((d) => d.workload))
  const title = 'Latency percentiles per workload and engine'
  const description =
    `Line chart of per-operation latency in microseconds on a log scale at p50, p95, p99, p99.9 ` +
    `and max, for ${engines.length} engines on ${workloads.length} workloads.`
  const encoding = {
    x: { field: 'percentile', type: 'ordinal', title: 'Percentile', sort: PERCENTILES.map((p) => p.label) },
    y: { field: 'latencyUs', type: 'quantitative', title: 'Latency (µs, log scale)', scale: { type: 'log' } },
    color: engineColor(engines, pageEngines),
  }
  const spec = baseSpec(title, description, data, {
    facet: { field: 'workload', type: 'nominal', title: 'Workload, latency sample', sort: workloads },
    columns: Math.min(3, workloads.length),
    spec: {
      width: 200,
      height: 170,
      layer: [
        { mark: { type: 'line' }, encoding },
        { mark: { type: 'point', filled: true, size: 45, tooltip: true }, encoding: { ...encoding, shape: engineShape(engines, pageEngines) } },
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
      columns: [{ label: 'Workload, latency sample' }, { label: 'Engine' }, { label: 'Samples', numeric: true }, { label: 'Percentile' }, { label: 'Latency', unit: 'µs', numeric: true }],
      rows: data.map((d) => [d.workload, d.engine, d.sampleCount, d.percentile, d.latencyUs]),
    },
  }
}
