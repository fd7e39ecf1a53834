/**
 * The provenance block of a run: everything needed to reproduce it or to refuse to compare it,
 * rendered as a key/value table.
 */
import type { Provenance } from '../../benchsuite/result/schema.ts'
import { formatBytes } from '../format.ts'
import { renderKeyValueTable } from '../html/page.ts'

/** The provenance as ordered (label, value) pairs. */
export function provenanceEntries(provenance: Provenance): Array<[string, string]> {
  const packages = Object.entries(provenance.packageVersions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, version]) => `${name} ${version}`)
    .join(', ')
  return [
    ['Commit', `${provenance.gitCommit}${provenance.treeChangedDuringRun !== undefined ? ` (at the start; ${provenance.treeChangedDuringRun})` : provenance.gitDirty ? ' (uncommitted changes)' : ''}`],
    ['Started at', provenance.startedAt],
    ['Machine', `${provenance.hostname}, ${provenance.platform}`],
    ['CPU', `${provenance.cpuModel} × ${provenance.cpuCount}`],
    ['Memory', formatBytes(provenance.memoryBytes)],
    ['Node', provenance.nodeVersion],
    ['Packages', packages || 'none recorded'],
    ['Preset', provenance.preset],
    ['Suite', provenance.suite],
    ['Seed', String(provenance.seed)],
    ['Source', provenance.source],
  ]
}

/** Renders the provenance table. */
export function renderProvenance(provenance: Provenance, caption = 'Provenance'): string {
  return renderKeyValueTable(caption, provenanceEntries(provenance))
}
