/**
 * Warnings a comparison must show when the two sides were not measured the same way: another
 * preset, machine, suite, Node or library version, or a dirty tree. They do not change the
 * verdict (a CI runner may legitimately change), but a reader must see them before trusting it.
 */
import type { Provenance } from '../../benchsuite/result/schema.ts'

/** Fields compared, with how a difference is described. */
const FIELDS: ReadonlyArray<{ field: keyof Provenance; name: string }> = [
  { field: 'preset', name: 'preset' },
  { field: 'suite', name: 'suite' },
  { field: 'hostname', name: 'machine' },
  { field: 'cpuModel', name: 'CPU' },
  { field: 'cpuCount', name: 'CPU count' },
  { field: 'nodeVersion', name: 'Node version' },
  { field: 'source', name: 'source' },
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
  }
  return warnings
}
