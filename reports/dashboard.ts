/**
 * `strata report dashboard`: the customBiggerIsBetter JSON CI benchmark dashboards
 * (github-action-benchmark) read, from any result files (imports included). It is the same
 * writer `bench run` uses (benchsuite/result/dashboard.ts), so the series names match: a workflow
 * can switch between the two without breaking the dashboard's history.
 */
import { toDashboards } from '../benchsuite/result/dashboard.ts'
import type { DashboardEntry } from '../benchsuite/result/schema.ts'
import { ReportError } from './errors.ts'
import type { LoadedRun } from './result/read.ts'

/**
 * Returns the throughput entries of `runs`, in run, workload and engine order.
 * @throws {ReportError} `INVALID_ARGUMENT` when two entries would share a series name (two runs of
 * one workload and engine): a dashboard file holds one point per series.
 * @example
 * ```ts
 * fs.writeFileSync('bench.json', JSON.stringify(dashboardEntries(runs), null, 2))
 * ```
 */
export function dashboardEntries(runs: readonly LoadedRun[]): DashboardEntry[] {
  const entries: DashboardEntry[] = []
  const sources = new Map<string, string>()
  for (const run of runs) {
    for (const entry of toDashboards(run.result).biggerIsBetter) {
      const earlier = sources.get(entry.name)
      if (earlier !== undefined) {
        throw new ReportError('INVALID_ARGUMENT', `Series ${JSON.stringify(entry.name)} is in both ${earlier} and ${run.path}: a dashboard file takes one run per workload and engine`)
      }
      sources.set(entry.name, run.path)
      entries.push(entry)
    }
  }
  return entries
}
