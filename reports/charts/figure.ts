/**
 * A figure is one chart and the table that carries the same numbers: the chart for the eye, the
 * table for screen readers, print and copy-paste. Chart modules are pure functions from rows to
 * figures; the page (html/page.ts) renders them and the browser tests check both halves.
 */

/** A Vega-Lite specification as plain JSON. Kept loose: vega-lite's own types are not needed to build it. */
export type VegaLiteSpec = Record<string, unknown>

/** One column of a data table; `unit` is shown in the header ('Throughput (ops/s)'). */
export interface TableColumn {
  label: string
  unit?: string
  /** Numeric columns align right. */
  numeric?: boolean
}

/** A table cell: numbers are formatted by the renderer (format.ts), strings shown as is. */
export type TableCell = string | number | null

/** The data behind a chart, as a table. */
export interface DataTable {
  columns: TableColumn[]
  rows: TableCell[][]
}

/** One chart with its title, its description (the chart's accessible name) and its table. */
export interface Figure {
  /** Unique within a page; becomes the element id. */
  id: string
  title: string
  description: string
  spec: VegaLiteSpec
  table: DataTable
}

/**
 * Okabe & Ito's colour-blind-safe palette (Color Universal Design, 2008), yellow moved last
 * because it has the lowest contrast on white.
 */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#F0E442'] as const

/** Shapes that pair with the palette so a series is told apart without colour too. */
export const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'stroke', 'wedge'] as const

/**
 * Engines a report usually shows, in the order that fixes their colour: the same engine gets the
 * same colour on every chart of every report. Others follow, sorted by name.
 */
export const KNOWN_ENGINES = ['rocksdb-native', 'strata', 'blobtree', 'lmdb', 'surrealkv', 'rocksdb-native-blob', 'classic-level', 'nxtedition-rocksdb'] as const

/** Engines in the stable colour order: KNOWN_ENGINES first, then the rest by name. */
export function engineOrder(engines: Iterable<string>): string[] {
  const unique = new Set(engines)
  const known: string[] = KNOWN_ENGINES.filter((engine) => unique.has(engine))
  const others = [...unique].filter((engine) => !known.includes(engine)).sort()
  return [...known, ...others]
}

/**
 * The colour channel for `engines` (the engines of one chart). Colours are assigned by position
 * in `pageEngines` (every engine on the page, in engineOrder), so one engine keeps one colour
 * across the page's charts even when a chart shows only some engines.
 */
export function engineColor(engines: readonly string[], pageEngines: readonly string[] = engines): Record<string, unknown> {
  return {
    field: 'engine',
    type: 'nominal',
    title: 'Engine',
    sort: engines,
    scale: { domain: engines, range: engines.map((engine) => OKABE_ITO[slotOf(engine, pageEngines) % OKABE_ITO.length]) },
  }
}

/** The shape channel for engines, paired with engineColor. */
export function engineShape(engines: readonly string[], pageEngines: readonly string[] = engines): Record<string, unknown> {
  return {
    field: 'engine',
    type: 'nominal',
    title: 'Engine',
    sort: engines,
    scale: { domain: engines, range: engines.map((engine) => SHAPES[slotOf(engine, pageEngines) % SHAPES.length]) },
  }
}

function slotOf(engine: string, pageEngines: readonly string[]): number {
  const slot = pageEngines.indexOf(engine)
  if (slot < 0) throw new Error(`engine ${engine} is missing from the page's engine list`)
  return slot
}

/** Shared look: readable font sizes, a left-aligned title, no chart border. */
export const CHART_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  title: { anchor: 'start', fontSize: 14 },
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 180 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: '#ddd' },
} as const

/** Wraps a body (mark/layer/facet) with the title, description, inline data and config every figure has. */
export function baseSpec(title: string, description: string, values: readonly object[], body: VegaLiteSpec): VegaLiteSpec {
  return {
    title,
    description,
    data: { values },
    ...body,
    config: CHART_CONFIG,
  }
}

/** Lower-case id fragment safe in HTML ids and CSS selectors. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x'
}
