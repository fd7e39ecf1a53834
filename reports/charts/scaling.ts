/**
 * Scaling: throughput against a swept parameter (key count, value size, threads) when the runs
 * hold one workload at several values of one numeric parameter with everything else equal.
 * The x axis is logarithmic because sweeps step by factors (10k, 100k, 1M).
 */
import type { EngineRow } from '../result/rows.ts'
import { formatParameters, humanParameterName } from '../format.ts'
import { baseSpec, engineColor, engineOrder, engineShape, slug, type Figure } from './figure.ts'

/** One detected sweep: a workload, the swept parameter and the rows that belong to it. */
export interface Sweep {
  workload: string
  parameter: string
  /** The parameters held fixed, formatted, for the subtitle. */
  fixed: string
  rows: EngineRow[]
}

/** One point of a scaling chart. */
export interface ScalingDatum {
  engine: string
  parameterValue: number
  opsPerSecond: number
  minOpsPerSecond: number
  maxOpsPerSecond: number
}

/**
 * Finds every sweep in `rows`: for each workload and numeric parameter with at least two values,
 * the largest group of rows whose other parameters are equal, if it still spans two values.
 */
export function findSweeps(rows: readonly EngineRow[]): Sweep[] {
  const sweeps: Sweep[] = []
  const workloads = [...new Set(rows.map((row) => row.workload))]
  for (const workload of workloads) {
    const mine = rows.filter((row) => row.workload === workload)
    const names = [...new Set(mine.flatMap((row) => Object.keys(row.parameters)))].sort()
    for (const parameter of names) {
      if (!mine.every((row) => typeof row.parameters[parameter] === 'number')) continue
      const groups = new Map<string, EngineRow[]>()
      for (const row of mine) {
        const others = { ...row.parameters }
        delete others[parameter]
        const key = formatParameters(others)
        groups.set(key, [...(groups.get(key) ?? []), row])
      }
      let best: [string, EngineRow[]] | null = null
      for (const entry of groups) {
        const valueCount = new Set(entry[1].map((row) => row.parameters[parameter])).size
        if (valueCount >= 2 && (best === null || entry[1].length > best[1].length)) best = entry
      }
      if (best !== null) sweeps.push({ workload, parameter, fixed: best[0], rows: best[1] })
    }
  }
  return sweeps
}

/** The chart data of one sweep, sorted by engine then parameter value. */
export function scalingData(sweep: Sweep): ScalingDatum[] {
  return sweep.rows
    .map((row) => ({
      engine: row.engine,
      parameterValue: row.parameters[sweep.parameter] as number,
      opsPerSecond: row.result.opsPerSecond,
      minOpsPerSecond: row.result.opsPerSecondSpread.min,
      maxOpsPerSecond: row.result.opsPerSecondSpread.max,
    }))
    .sort((a, b) => a.engine.localeCompare(b.engine) || a.parameterValue - b.parameterValue)
}

/** Builds one figure per sweep found in `rows`. */
export function scalingFigures(rows: readonly EngineRow[], idPrefix: string, pageEngines?: readonly string[]): Figure[] {
  return findSweeps(rows).map((sweep) => {
    const data = scalingData(sweep)
    const engines = engineOrder(data.map((d) => d.engine))
    const axisTitle = humanParameterName(sweep.parameter)
    const title = `Scaling: ${sweep.workload} throughput by ${axisTitle.toLowerCase()}`
    const description =
      `Line chart of ${sweep.workload} median throughput in operations per second against ` +
      `${axisTitle.toLowerCase()} on a log scale, for ${engines.length} engines; fixed: ${sweep.fixed || 'nothing'}.`
    const x = { field: 'parameterValue', type: 'quantitative', title: `${axisTitle}, log scale`, scale: { type: 'log' } }
    const y = { field: 'opsPerSecond', type: 'quantitative', title: 'Throughput (ops/s, median)' }
    const spec = baseSpec(title, description, data, {
      width: 420,
      height: 220,
      layer: [
        { mark: { type: 'line' }, encoding: { x, y, color: engineColor(engines, pageEngines) } },
        { mark: { type: 'rule' }, encoding: { x, y: { field: 'minOpsPerSecond', type: 'quantitative' }, y2: { field: 'maxOpsPerSecond' }, color: engineColor(engines, pageEngines) } },
        { mark: { type: 'point', filled: true, size: 50, tooltip: true }, encoding: { x, y, color: engineColor(engines, pageEngines), shape: engineShape(engines, pageEngines) } },
      ],
    })
    return {
      id: `${idPrefix}-${slug(sweep.workload)}-${slug(sweep.parameter)}`,
      title,
      description,
      spec,
      table: {
        columns: [
          { label: 'Engine' },
          { label: axisTitle, numeric: true },
          { label: 'Throughput, median', unit: 'ops/s', numeric: true },
          { label: 'Slowest repetition', unit: 'ops/s', numeric: true },
          { label: 'Fastest repetition', unit: 'ops/s', numeric: true },
        ],
        rows: data.map((d) => [d.engine, d.parameterValue, d.opsPerSecond, d.minOpsPerSecond, d.maxOpsPerSecond]),
      },
    }
  })
}
