/**
 * The `customBiggerIsBetter` / `customSmallerIsBetter` JSON that CI benchmark dashboards
 * (github-action-benchmark) consume: throughput in the first, p99 latency and write
 * amplification in the second. `range` carries the repetitions' spread so a gate can be noise-aware.
 */
import type { DashboardEntry, ResultFile } from './schema.ts'

export interface Dashboards {
  biggerIsBetter: DashboardEntry[]
  smallerIsBetter: DashboardEntry[]
}

export function toDashboards(result: ResultFile): Dashboards {
  const biggerIsBetter: DashboardEntry[] = []
  const smallerIsBetter: DashboardEntry[] = []
  const extra = `preset ${result.provenance.preset}, suite ${result.provenance.suite}, seed ${result.provenance.seed}`
  for (const workload of result.workloads) {
    for (const engine of workload.engines) {
      const name = `${workload.workload} / ${engine.engine}`
      biggerIsBetter.push({
        name: `${name} throughput`,
        unit: 'ops/s',
        value: round(engine.opsPerSecond),
        range: `± ${round(engine.opsPerSecondSpread.stddev)}`,
        extra: `${extra}; repetitions ${engine.repetitions.map(round).join(', ')}`,
      })
      smallerIsBetter.push({ name: `${name} p99 latency`, unit: 'µs', value: engine.latencyUs.p99, extra })
      if (engine.storage.userBytesWritten > 0) {
        smallerIsBetter.push({ name: `${name} write amplification`, unit: 'x', value: Math.round(engine.storage.writeAmplification * 1000) / 1000, extra })
      }
    }
  }
  return { biggerIsBetter, smallerIsBetter }
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}
