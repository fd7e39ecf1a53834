/**
 * The customBiggerIsBetter form CI benchmark dashboards (github-action-benchmark) read: one
 * entry per workload instance and engine with the median throughput, its spread as `range`, and
 * the latency tail, preset and commit in `extra`.
 */
import type { DashboardEntry } from '../benchsuite/result/schema.ts'
import { formatNumber, shortCommit } from './format.ts'
import type { LoadedRun } from './result/read.ts'
import { engineRows } from './result/rows.ts'

/**
 * Returns the dashboard entries of `runs`, in run, workload and engine order.
 * @example
 * ```ts
 * fs.writeFileSync('bench.json', JSON.stringify(dashboardEntries(runs), null, 2))
 * ```
 */
export function dashboardEntries(runs: readonly LoadedRun[]): DashboardEntry[] {
  return engineRows(runs).map((row) => {
    const { result } = row
    const provenance = runs[row.runIndex].result.provenance
    const latency = result.latencyUs.count > 0 ? `p50 ${formatNumber(result.latencyUs.p50)} µs, p99 ${formatNumber(result.latencyUs.p99)} µs, p99.9 ${formatNumber(result.latencyUs.p999)} µs; ` : ''
    return {
      name: `${row.workloadLabel} / ${row.engine}`,
      unit: 'ops/s',
      value: result.opsPerSecond,
      range: `± ${Math.round(result.opsPerSecondSpread.stddev)}`,
      extra: `${latency}${result.repetitions.length} repetitions; preset ${provenance.preset}; commit ${shortCommit(provenance.gitCommit)}`,
    }
  })
}
