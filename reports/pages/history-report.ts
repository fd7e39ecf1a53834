/**
 * The history page: throughput trends per workload and engine over a folder of runs, with the
 * list of runs (date, commit, preset, source) it was built from.
 */
import { historyFigure } from '../charts/history.ts'
import type { Figure } from '../charts/figure.ts'
import { shortCommit } from '../format.ts'
import { renderFigure, renderPage, renderTable } from '../html/page.ts'
import type { LoadedRun } from '../result/read.ts'
import type { BuiltPage } from './run-report.ts'

/** Builds the history page of `runs`. */
export function buildHistoryReport(runs: readonly LoadedRun[], options: { generatedAt: string; title?: string }): BuiltPage {
  const ordered = [...runs].sort((a, b) => a.result.provenance.startedAt.localeCompare(b.result.provenance.startedAt))
  const figure = historyFigure(ordered, 'history-throughput')
  const figures: Figure[] = figure === null ? [] : [figure]
  const runTable = renderTable(
    {
      columns: [{ label: 'Date (UTC)' }, { label: 'Commit' }, { label: 'Preset' }, { label: 'Suite' }, { label: 'Machine' }, { label: 'Source' }, { label: 'File' }],
      rows: ordered.map((run) => {
        const p = run.result.provenance
        return [p.startedAt.slice(0, 16).replace('T', ' '), `${shortCommit(p.gitCommit)}${p.gitDirty ? ' (dirty)' : ''}`, p.preset, p.suite, p.hostname, p.source, run.label]
      }),
    },
    { caption: 'Runs in this history', attributes: 'data-runs' },
  )
  const first = ordered[0]?.result.provenance.startedAt.slice(0, 10) ?? '–'
  const last = ordered.at(-1)?.result.provenance.startedAt.slice(0, 10) ?? '–'
  const html = renderPage({
    title: options.title ?? 'Strata benchmark history',
    subtitle: `${ordered.length} runs from ${first} to ${last}; each point is a run's median throughput.`,
    sectionsHtml: [`<section id="trends"><h2>Trends</h2>`, ...figures.map(renderFigure), `</section>`, `<section id="runs"><h2>Runs</h2>`, runTable, `</section>`],
    figures,
    generatedAt: options.generatedAt,
  })
  return { html, figures }
}
