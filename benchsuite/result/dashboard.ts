/**
 * The `customBiggerIsBetter` / `customSmallerIsBetter` JSON that CI benchmark dashboards
 * (github-action-benchmark) consume: throughput in the first, latency and write amplification in
 * the second. `bench run` and `strata report dashboard` both write it through this file, so a
 * series has one name whichever wrote it: `<workload> / <engine> <metric>`, from the entry's own
 * result only (never from the other files given), because renaming a series starts a new history.
 * `range` carries the repetitions' spread; latency units say what one sample is.
 */
import { latencySampleOf, percentileSupported } from './latency-sample.ts'
import type { DashboardEntry, EngineResult, ResultFile, WorkloadResult } from './schema.ts'

export interface Dashboards {
  biggerIsBetter: DashboardEntry[]
  smallerIsBetter: DashboardEntry[]
}

/**
 * The dashboard entries of one result file, in workload and engine order.
 * @example
 * ```ts
 * fs.writeFileSync('dashboard-bigger.json', JSON.stringify(toDashboards(result).biggerIsBetter, null, 2))
 * ```
 */
export function toDashboards(result: ResultFile): Dashboards {
  const biggerIsBetter: DashboardEntry[] = []
  const smallerIsBetter: DashboardEntry[] = []
  const { preset, suite, seed, gitCommit } = result.provenance
  const run = `preset ${preset}, suite ${suite}, seed ${seed}, commit ${gitCommit.slice(0, 7)}`
  for (const workload of result.workloads) {
    for (const engine of workload.engines) {
      const name = seriesName(workload.workload, engine.engine)
      const latency = latencyText(workload, engine)
      biggerIsBetter.push({
        name: `${name} throughput`,
        unit: 'ops/s',
        value: round(engine.opsPerSecond),
        range: `± ${round(engine.opsPerSecondSpread.stddev)}`,
        extra: `${run}; repetitions ${engine.repetitions.map(round).join(', ')}${latency === '' ? '' : `; ${latency}`}`,
      })
      smallerIsBetter.push(...latencyEntries(workload, engine, name, run))
      if (engine.storage.userBytesWritten > 0) {
        smallerIsBetter.push({ name: `${name} write amplification`, unit: 'x', value: Math.round(engine.storage.writeAmplification * 1000) / 1000, extra: run })
      }
    }
  }
  return { biggerIsBetter, smallerIsBetter }
}

/**
 * The series name prefix of a workload and engine: 'fillrandom / strata'.
 * @example seriesName('fillrandom', 'strata') // 'fillrandom / strata'
 */
function seriesName(workload: string, engine: string): string {
  return `${workload} / ${engine}`
}

/** p50 always, p99 only with the samples to support it (a p99 of 50 batches is their maximum). */
function latencyEntries(workload: WorkloadResult, engine: EngineResult, name: string, run: string): DashboardEntry[] {
  const { count } = engine.latencyUs
  if (count === 0) return []
  const unit = `µs ${latencySampleOf(workload.workload, workload.parameters)}`
  const extra = `${run}; ${count} samples`
  const entries = [{ name: `${name} p50 latency`, unit, value: round(engine.latencyUs.p50), extra }]
  if (percentileSupported('p99', count)) entries.push({ name: `${name} p99 latency`, unit, value: round(engine.latencyUs.p99), extra })
  return entries
}

/** 'latency per get: p50 11.4 µs, p99 33.7 µs, p99.9 120 µs (50000 samples)', percentiles the count supports only. */
function latencyText(workload: WorkloadResult, engine: EngineResult): string {
  const latency = engine.latencyUs
  if (latency.count === 0) return ''
  const shown = (['p50', 'p99', 'p999'] as const).filter((field) => percentileSupported(field, latency.count))
  const values = shown.map((field) => `${field === 'p999' ? 'p99.9' : field} ${round(latency[field])} µs`).join(', ')
  return `latency ${latencySampleOf(workload.workload, workload.parameters)}: ${values} (${latency.count} samples)`
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
