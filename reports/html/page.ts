/**
 * The page shell every report shares: one self-contained HTML document with the Vega bundles,
 * the chart specs (data inline) as JSON, and a boot script that draws each chart into its figure
 * as SVG. Tables are plain HTML, so the numbers read without JavaScript, in print and to screen
 * readers. The boot script marks <html data-charts="rendered|failed"> when it is done, which the
 * browser tests wait for.
 */
import { formatNumber } from '../format.ts'
import type { DataTable, Figure, TableCell } from '../charts/figure.ts'
import { escapeHtml, jsonForScript } from './escape.ts'
import { vegaBundles, vegaVersions } from './bundles.ts'

/** What a page is made of: a title, pre-rendered section HTML and the figures it placed. */
export interface PageContent {
  title: string
  /** One line under the title, e.g. what was compared. */
  subtitle: string
  /** Section HTML in order; figures appear where renderFigure() output was put. */
  sectionsHtml: string[]
  /** Every figure whose renderFigure() output is in sectionsHtml. */
  figures: Figure[]
  /** When the page was built (ISO 8601); passed in so tests get stable output. */
  generatedAt: string
}

const STYLE = `
:root { color-scheme: light; --fg: #1a1a1a; --muted: #555; --line: #d0d0d0; --band: #f4f4f4; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.25rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.08rem; margin: 1.4rem 0 .4rem; }
p.subtitle, .muted { color: var(--muted); }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: .88rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
th, td { border: 1px solid var(--line); padding: .22rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--band); }
td.num, th.num { text-align: right; }
.table-scroll { max-height: 22rem; overflow: auto; display: inline-block; max-width: 100%; }
figure { margin: 1rem 0 2rem; }
figure .chart { overflow-x: auto; min-height: 2rem; }
figcaption { color: var(--muted); font-size: .9rem; margin: .3rem 0; }
.level { font-weight: 600; white-space: nowrap; }
.level-fail { color: #b34700; } .level-alert { color: #8a5a00; } .level-improved { color: #005a8c; }
.notes li { margin: .2rem 0; }
.verdict { font-size: 1.1rem; font-weight: 700; padding: .5rem .75rem; border: 2px solid currentColor; display: inline-block; }
footer { color: var(--muted); font-size: .85rem; margin-top: 3rem; padding-bottom: 2rem; border-top: 1px solid var(--line); }
@media print {
  body { font-size: 10.5pt; }
  header, main, footer { max-width: none; padding: 0; }
  .vega-embed details, .vega-embed summary, .vega-actions { display: none !important; }
  .table-scroll { max-height: none; overflow: visible; }
  figure, table, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
`

const BOOT = `
(function () {
  var figures = JSON.parse(document.getElementById('strata-figures').textContent);
  var options = { mode: 'vega-lite', renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } };
  var status = { total: figures.length, rendered: 0, failed: [] };
  window.strataReport = status;
  Promise.all(figures.map(function (figure) {
    var target = document.getElementById('chart-' + figure.id);
    return vegaEmbed(target, figure.spec, options).then(function () { status.rendered += 1; }, function (error) {
      status.failed.push(figure.id);
      target.textContent = 'This chart could not be drawn; the table below holds its data.';
      console.error('Chart ' + figure.id + ' failed: ' + (error && error.message ? error.message : error));
    });
  })).then(function () {
    document.documentElement.setAttribute('data-charts', status.failed.length === 0 ? 'rendered' : 'failed');
  });
})();
`

/** Renders one figure: heading, chart placeholder, description and its data table. */
export function renderFigure(figure: Figure): string {
  return [
    `<figure id="${escapeHtml(figure.id)}" class="figure" aria-labelledby="${escapeHtml(figure.id)}-title">`,
    `<h3 id="${escapeHtml(figure.id)}-title">${escapeHtml(figure.title)}</h3>`,
    `<div class="chart" id="chart-${escapeHtml(figure.id)}"></div>`,
    `<figcaption>${escapeHtml(figure.description)} The table below holds the same numbers.</figcaption>`,
    renderTable(figure.table, { caption: `Data: ${figure.title}`, attributes: `data-figure="${escapeHtml(figure.id)}"` }),
    `</figure>`,
  ].join('\n')
}

/** Formats one cell: numbers through formatNumber, null as a dash, strings as given. */
export function formatCell(cell: TableCell): string {
  if (cell === null) return '–'
  return typeof cell === 'number' ? formatNumber(cell) : cell
}

/** Renders a table with a caption; header cells carry their unit. */
export function renderTable(table: DataTable, options: { caption: string; attributes?: string }): string {
  const head = table.columns
    .map((c) => `<th scope="col"${c.numeric ? ' class="num"' : ''}>${escapeHtml(c.label)}${c.unit ? ` (${escapeHtml(c.unit)})` : ''}</th>`)
    .join('')
  const body = table.rows
    .map((row) => `<tr>${row.map((cell, i) => `<td${table.columns[i]?.numeric ? ' class="num"' : ''}>${escapeHtml(formatCell(cell))}</td>`).join('')}</tr>`)
    .join('\n')
  return (
    `<div class="table-scroll"><table class="data"${options.attributes ? ` ${options.attributes}` : ''}>` +
    `<caption>${escapeHtml(options.caption)}</caption><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`
  )
}

/** Renders a two-column key/value table (provenance and the like). */
export function renderKeyValueTable(caption: string, entries: ReadonlyArray<readonly [string, string]>): string {
  const body = entries.map(([key, value]) => `<tr><th scope="row">${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('\n')
  return `<table class="kv"><caption>${escapeHtml(caption)}</caption><tbody>\n${body}\n</tbody></table>`
}

/**
 * Assembles the whole document.
 * @example
 * ```ts
 * const html = renderPage({ title: 'Run', subtitle: '', sectionsHtml: [renderFigure(f)], figures: [f], generatedAt: new Date().toISOString() })
 * ```
 */
export function renderPage(content: PageContent): string {
  const ids = new Set<string>()
  for (const figure of content.figures) {
    if (ids.has(figure.id)) throw new Error(`renderPage: duplicate figure id ${figure.id}`)
    ids.add(figure.id)
  }
  const versions = Object.entries(vegaVersions()).map(([name, version]) => `${name} ${version}`).join(', ')
  const scripts = vegaBundles().map((source) => `<script>${source}</script>`).join('\n')
  const specs = content.figures.map((figure) => ({ id: figure.id, spec: figure.spec }))
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="strata report">
<title>${escapeHtml(content.title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(content.title)}</h1>
<p class="subtitle">${escapeHtml(content.subtitle)}</p>
<noscript><p>Charts need JavaScript; every chart's numbers are in the table beneath it.</p></noscript>
</header>
<main>
${content.sectionsHtml.join('\n')}
</main>
<footer>Built by <code>strata report</code> at ${escapeHtml(content.generatedAt)}. Charts drawn offline with ${escapeHtml(versions)}, inlined in this file.</footer>
${scripts}
<script type="application/json" id="strata-figures">${jsonForScript(specs)}</script>
<script>${BOOT}</script>
</body>
</html>
`
}
