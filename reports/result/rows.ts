/**
 * Flattens loaded runs into one row per (run, workload instance, engine): the shape every chart,
 * table and comparison starts from. A workload instance is a workload name plus its parameters,
 * so a sweep (fillrandom at three key counts) gives three instances with distinct labels.
 */
import type { EngineResult } from '../../benchsuite/result/schema.ts'
import { formatParameters } from '../format.ts'
import type { LoadedRun } from './read.ts'

/** One engine's result on one workload instance of one run. */
export interface EngineRow {
  runIndex: number
  runLabel: string
  workload: string
  /** `workload` plus the parameters that tell its instances apart, e.g. 'fillrandom (keyCount=10000)'. */
  workloadLabel: string
  /** Canonical workload name + every parameter: equal across runs for the same workload instance. */
  workloadKey: string
  parameters: Readonly<Record<string, string | number | boolean>>
  baselineEngine: string
  engine: string
  result: EngineResult
}

/** The canonical identity of a workload instance: its name and sorted parameters. */
export function workloadKeyOf(workload: string, parameters: Readonly<Record<string, string | number | boolean>>): string {
  const body = formatParameters(parameters)
  return body === '' ? workload : `${workload} [${body}]`
}

/**
 * Returns one row per engine result across `runs`, in run order, workload order, engine order.
 * Labels name only the parameters that differ between instances of the same workload name.
 * @example
 * ```ts
 * const rows = engineRows(await readResultFiles(['run.json']))
 * ```
 */
export function engineRows(runs: readonly LoadedRun[]): EngineRow[] {
  const varying = varyingParameters(runs)
  const rows: EngineRow[] = []
  runs.forEach((run, runIndex) => {
    for (const workload of run.result.workloads) {
      const names = [...(varying.get(workload.workload) ?? [])].sort()
      const distinguishing = names.map((name) => `${name}=${String(workload.parameters[name])}`).join(', ')
      const workloadLabel = distinguishing === '' ? workload.workload : `${workload.workload} (${distinguishing})`
      for (const result of workload.engines) {
        rows.push({
          runIndex,
          runLabel: run.label,
          workload: workload.workload,
          workloadLabel,
          workloadKey: workloadKeyOf(workload.workload, workload.parameters),
          parameters: workload.parameters,
          baselineEngine: workload.baselineEngine,
          engine: result.engine,
          result,
        })
      }
    }
  })
  return rows
}

/** For each workload name, the parameter names whose value differs between its instances. */
export function varyingParameters(runs: readonly LoadedRun[]): Map<string, Set<string>> {
  const seen = new Map<string, Map<string, Set<string>>>()
  for (const run of runs) {
    for (const workload of run.result.workloads) {
      const byName = seen.get(workload.workload) ?? new Map<string, Set<string>>()
      seen.set(workload.workload, byName)
      for (const [name, value] of Object.entries(workload.parameters)) {
        const values = byName.get(name) ?? new Set<string>()
        byName.set(name, values)
        values.add(JSON.stringify(value))
      }
    }
  }
  const varying = new Map<string, Set<string>>()
  for (const [workload, byName] of seen) {
    varying.set(workload, new Set([...byName].filter(([, values]) => values.size > 1).map(([name]) => name)))
  }
  return varying
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)]
}
