/**
 * Warnings a comparison must show when the two sides were not measured the same way: another
 * preset, machine, suite, seed, Node or library version, a dirty tree, a side that pools runs of
 * several commits, or a workload run with other parameters. They do not change the verdict (a CI
 * runner may legitimately change), but a reader must see them before trusting it.
 */
import type { Provenance } from '../../benchsuite/result/schema.ts'
import { shortCommit } from '../format.ts'
import type { EngineRow } from '../result/rows.ts'

/** Fields compared, with how a difference is described. */
const FIELDS: ReadonlyArray<{ field: keyof Provenance; name: string }> = [
  { field: 'preset', name: 'preset' },
  { field: 'suite', name: 'suite' },
  { field: 'hostname', name: 'machine' },
  { field: 'cpuModel', name: 'CPU' },
  { field: 'cpuCount', name: 'CPU count' },
  { field: 'nodeVersion', name: 'Node version' },
  { field: 'source', name: 'source' },
  { field: 'seed', name: 'seed' },
]

/**
 * Lists how the current runs' provenance differs from the baseline's, one sentence each.
 * @example provenanceWarnings([a], [b]) // ['preset differs: rocksdb-parity (baseline) vs lsm-default (current)']
 */
export function provenanceWarnings(baseline: readonly Provenance[], current: readonly Provenance[]): string[] {
  const warnings: string[] = []
  for (const { field, name } of FIELDS) {
    const before = [...new Set(baseline.map((p) => String(p[field])))].sort()
    const after = [...new Set(current.map((p) => String(p[field])))].sort()
    if (before.join() !== after.join()) warnings.push(`${name} differs: ${before.join(', ')} (baseline) vs ${after.join(', ')} (current)`)
  }
  const packages = new Set([...baseline, ...current].flatMap((p) => Object.keys(p.packageVersions)))
  for (const name of [...packages].sort()) {
    const before = [...new Set(baseline.map((p) => p.packageVersions[name] ?? 'absent'))].sort()
    const after = [...new Set(current.map((p) => p.packageVersions[name] ?? 'absent'))].sort()
    if (before.join() !== after.join()) warnings.push(`${name} version differs: ${before.join(', ')} (baseline) vs ${after.join(', ')} (current)`)
  }
  for (const [side, runs] of [['baseline', baseline], ['current', current]] as const) {
    if (runs.some((p) => p.gitDirty)) warnings.push(`the ${side} run was made from a tree with uncommitted changes`)
    const commits = [...new Set(runs.map((p) => p.gitCommit))]
    if (commits.length > 1) warnings.push(`the ${side} pools runs of ${commits.length} commits (${commits.map(shortCommit).join(', ')}): its repetitions mix code versions`)
  }
  return warnings
}

/**
 * One warning per workload parameter whose values differ between the sides (seed aside: the
 * provenance says when seeds differ), since those rows cannot be matched and show as missing / new.
 * @example parameterWarnings(baselineRows, currentRows) // ['fillrandom: keyCount differs: 200000 (baseline) vs 100000 (current)']
 */
export function parameterWarnings(baselineRows: readonly EngineRow[], currentRows: readonly EngineRow[]): string[] {
  const valuesOf = (rows: readonly EngineRow[], workload: string, name: string): string =>
    [...new Set(rows.filter((row) => row.workload === workload).map((row) => String(row.parameters[name] ?? 'absent')))].sort().join(', ')
  const workloads = [...new Set(baselineRows.map((row) => row.workload))].filter((workload) => currentRows.some((row) => row.workload === workload))
  const warnings: string[] = []
  for (const workload of workloads) {
    const names = new Set([...baselineRows, ...currentRows].filter((row) => row.workload === workload).flatMap((row) => Object.keys(row.parameters)))
    for (const name of [...names].sort()) {
      if (name === 'seed') continue
      const before = valuesOf(baselineRows, workload, name)
      const after = valuesOf(currentRows, workload, name)
      if (before !== after) warnings.push(`${workload}: ${name} differs: ${before} (baseline) vs ${after} (current)`)
    }
  }
  return warnings
}
