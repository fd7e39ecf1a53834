/**
 * History: median throughput per workload and engine over runs (a folder of past result files),
 * on a time axis with the commit in the tooltip and table. When the runs used several presets,
 * the dash pattern tells them apart, so a preset change never reads as a regression.
 */
import type { LoadedRun } from '../result/read.ts'
import { distinct, engineRows } from '../result/rows.ts'
import { shortCommit } from '../format.ts'
import { baseSpec, engineColor, engineOrder, type Figure } from './figure.ts'

/** One point of the history chart. */
export interface HistoryDatum {
  startedAt: string
  commit: string
  workload: string
  engine: string
  preset: string
  opsPerSecond: number
  minOpsPerSecond: number
  maxOpsPerSecond: number
}

/** The chart data: a point per engine result of every run, runs in date order. */
export function historyData(runs: readonly LoadedRun[]): HistoryDatum[] {
  const ordered = [...runs].sort((a, b) => a.result.provenance.startedAt.localeCompare(b.result.provenance.startedAt))
  return engineRows(ordered).map((row) => {
    const provenance = ordered[row.runIndex].result.provenance
    return {
      startedAt: provenance.startedAt,
      commit: shortCommit(provenance.gitCommit),
      workload: row.workloadLabel,
      engine: row.engine,
      preset: provenance.preset,
      opsPerSecond: row.result.opsPerSecond,
      minOpsPerSecond: row.result.opsPerSecondSpread.min,
      maxOpsPerSecond: row.result.opsPerSecondSpread.max,
    }
  })
}

/** Builds the history figure: one panel per workload, a line per engine (and preset). */
export function historyFigure(runs: readonly LoadedRun[], id: string): Figure | null {
  const data = historyData(runs)
  if (data.length === 0) return null
  const engines = engineOrder(data.map((d) => d.engine))
  const workloads = distinct(data.map((d) => d.workload))
  const presets = distinct(data.map((d) => d.preset))
  const title = 'Throughput history per workload and engine'
  const description =
    `Line chart of median throughput in operations per second over ${runs.length} runs by run date, ` +
    `one panel per workload (${workloads.length}), one line per engine (${engines.length})` +
    (presets.length > 1 ? `, dash pattern per preset (${presets.join(', ')}).` : '.')
  const x = { field: 'startedAt', type: 'temporal', title: 'Run date (UTC)', axis: { format: '%b %d', labelAngle: -30 } }
  const y = { field: 'opsPerSecond', type: 'quantitative', title: 'Throughput (ops/s, median)' }
  const detail = presets.length > 1 ? { strokeDash: { field: 'preset', type: 'nominal', title: 'Preset' } } : {}
  const spec = baseSpec(title, description, data, {
    facet: { field: 'workload', type: 'nominal', title: 'Workload', sort: workloads },
    columns: Math.min(2, workloads.length),
    spec: {
      width: 300,
      height: 180,
      layer: [
        { mark: { type: 'line' }, encoding: { x, y, color: engineColor(engines), ...detail } },
        {
          mark: { type: 'point', filled: true, size: 35 },
          encoding: {
            x,
            y,
            color: engineColor(engines),
            tooltip: [
              { field: 'engine', title: 'Engine' },
              { field: 'commit', title: 'Commit' },
              { field: 'startedAt', type: 'temporal', title: 'Date', format: '%Y-%m-%d %H:%M' },
              { field: 'opsPerSecond', type: 'quantitative', title: 'ops/s', format: ',.0f' },
              { field: 'preset', title: 'Preset' },
            ],
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
      columns: [{ label: 'Date (UTC)' }, { label: 'Commit' }, { label: 'Workload' }, { label: 'Engine' }, { label: 'Preset' }, { label: 'Throughput, median', unit: 'ops/s', numeric: true }],
      rows: data.map((d) => [d.startedAt.slice(0, 16).replace('T', ' '), d.commit, d.workload, d.engine, d.preset, d.opsPerSecond]),
    },
  }
}
