/**
 * Write, read and space amplification per workload and engine: one panel per kind, workloads on
 * the x axis with a bar per engine beside each other. A value of 0 means the workload did not
 * do that kind of I/O (a read-only workload writes nothing) or the source did not measure it, so
 * it is left out rather than drawn as a perfect score.
 */
import type { EngineRow } from '../result/rows.ts'
import { distinct } from '../result/rows.ts'
import { baseSpec, engineColor, engineOrder, type Figure } from './figure.ts'

/** The amplification kinds, their result field and what the ratio divides. */
export const AMPLIFICATION_KINDS = [
  { kind: 'write', field: 'writeAmplification', meaning: 'disk bytes written / user bytes written' },
  { kind: 'read', field: 'readAmplification', meaning: 'disk bytes read / user bytes read' },
  { kind: 'space', field: 'spaceAmplification', meaning: 'directory bytes / live user bytes' },
] as const

/** One bar of the amplification chart. */
export interface AmplificationDatum {
  workload: string
  engine: string
  kind: 'write' | 'read' | 'space'
  amplification: number
}

/** The chart data: a bar per positive amplification figure of each row. */
export function amplificationData(rows: readonly EngineRow[]): AmplificationDatum[] {
  const data: AmplificationDatum[] = []
  for (const row of rows) {
    for (const { kind, field } of AMPLIFICATION_KINDS) {
      const amplification = row.result.storage[field]
      if (amplification > 0) data.push({ workload: row.workloadLabel, engine: row.engine, kind, amplification })
    }
  }
  return data
}

/** Builds the amplification figure, or null when nothing was measured. */
export function amplificationFigure(rows: readonly EngineRow[], id: string, pageEngines?: readonly string[]): Figure | null {
  const data = amplificationData(rows)
  if (data.length === 0) return null
  const engines = engineOrder(data.map((d) => d.engine))
  const workloads = distinct(data.map((d) => d.workload))
  const kinds = AMPLIFICATION_KINDS.map((k) => k.kind).filter((kind) => data.some((d) => d.kind === kind))
  const title = 'Write, read and space amplification'
  const description =
    `Grouped bar chart of amplification factors (write: ${AMPLIFICATION_KINDS[0].meaning}; read: ` +
    `${AMPLIFICATION_KINDS[1].meaning}; space: ${AMPLIFICATION_KINDS[2].meaning}) per workload and engine.`
  const spec = baseSpec(title, description, data, {
    facet: { field: 'kind', type: 'nominal', title: 'Amplification', sort: kinds },
    columns: kinds.length,
    spec: {
      width: Math.max(160, workloads.length * engines.length * 9),
      height: 170,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'workload', type: 'nominal', title: 'Workload', sort: workloads, axis: { labelAngle: -30 } },
        xOffset: { field: 'engine', type: 'nominal', sort: engines },
        y: { field: 'amplification', type: 'quantitative', title: 'Amplification (× user bytes)' },
        color: engineColor(engines, pageEngines),
      },
    },
    resolve: { scale: { y: 'independent' }, axis: { x: 'independent' } },
  })
  return {
    id,
    title,
    description,
    spec,
    table: {
      columns: [{ label: 'Workload' }, { label: 'Engine' }, { label: 'Kind' }, { label: 'Amplification', unit: '×', numeric: true }],
      rows: data.map((d) => [d.workload, d.engine, d.kind, d.amplification]),
    },
  }
}
