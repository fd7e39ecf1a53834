/**
 * The run report: for each result file, its provenance, a summary table per workload, the parity
 * notes and the throughput, latency and amplification charts; then scaling charts for any sweep
 * across all the files (a sweep may be split over several runs).
 */
import { amplificationFigure } from '../charts/amplification.ts'
import { engineOrder, slug, type Figure } from '../charts/figure.ts'
import { latencyFigure } from '../charts/latency.ts'
import { scalingFigures } from '../charts/scaling.ts'
import { throughputFigure } from '../charts/throughput.ts'
import { shortCommit } from '../format.ts'
import { escapeHtml } from '../html/escape.ts'
import { renderFigure, renderPage } from '../html/page.ts'
import type { LoadedRun } from '../result/read.ts'
import { engineRows } from '../result/rows.ts'
import { renderProvenance } from './provenance.ts'
import { renderParityNotes, renderWorkloadSummary } from './summary.ts'

/** Options of the run report. */
export interface RunReportOptions {
  /** Page title; defaults to 'Strata benchmark report'. */
  title?: string
  /** ISO 8601 build time shown in the footer. */
  generatedAt: string
}

/** A built page and the figures in it (the tests read both). */
export interface BuiltPage {
  html: string
  figures: Figure[]
}

/**
 * Builds the run report of `runs` (one section per run).
 * @example
 * ```ts
 * const { html } = buildRunReport(await readResultFiles(['run.json']), { generatedAt: new Date().toISOString() })
 * ```
 */
export function buildRunReport(runs: readonly LoadedRun[], options: RunReportOptions): BuiltPage {
  const figures: Figure[] = []
  const sections: string[] = []
  const allRows = engineRows(runs)
  const pageEngines = engineOrder(allRows.map((row) => row.engine))
  runs.forEach((run, runIndex) => {
    const prefix = `run${runIndex + 1}`
    // Labels per run: a parameter that differs only between runs must not clutter each run's charts.
    const rows = engineRows([run])
    const { provenance, workloads } = run.result
    const runFigures = [
      throughputFigure(rows, `${prefix}-throughput`, pageEngines),
      latencyFigure(rows, `${prefix}-latency`, pageEngines),
      amplificationFigure(rows, `${prefix}-amplification`, pageEngines),
    ]
      .filter((figure): figure is Figure => figure !== null)
    figures.push(...runFigures)
    sections.push(
      `<section id="${prefix}" aria-labelledby="${prefix}-heading">`,
      `<h2 id="${prefix}-heading">Run ${escapeHtml(run.label)}: ${escapeHtml(shortCommit(provenance.gitCommit))}, ${escapeHtml(provenance.startedAt.slice(0, 10))}, preset ${escapeHtml(provenance.preset)}</h2>`,
      renderProvenance(provenance),
      `<h3>Presets and symmetry</h3>`,
      renderParityNotes(provenance, workloads),
      ...workloads.map((workload, index) => renderWorkloadSummary(workload, `${prefix}-summary-${index + 1}-${slug(workload.workload)}`)),
      ...runFigures.map(renderFigure),
      `</section>`,
    )
  })
  const sweeps = scalingFigures(allRows, 'scaling', pageEngines)
  if (sweeps.length > 0) {
    figures.push(...sweeps)
    sections.push(
      `<section id="scaling" aria-labelledby="scaling-heading"><h2 id="scaling-heading">Scaling</h2>`,
      `<p>Workloads run at several values of one parameter, everything else equal.</p>`,
      ...sweeps.map(renderFigure),
      `</section>`,
    )
  }
  const commits = [...new Set(runs.map((run) => shortCommit(run.result.provenance.gitCommit)))].join(', ')
  const html = renderPage({
    title: options.title ?? 'Strata benchmark report',
    subtitle: `${runs.length} run${runs.length === 1 ? '' : 's'} (commit ${commits}); throughput is the median over repetitions, ranges span the slowest to the fastest repetition.`,
    sectionsHtml: sections,
    figures,
    generatedAt: options.generatedAt,
  })
  return { html, figures }
}
