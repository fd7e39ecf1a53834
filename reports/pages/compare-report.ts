/**
 * The comparison page: the verdict, the thresholds, warnings where the two sides were measured
 * differently, the table of every change (worst first), the change and range charts, and both
 * sides' provenance.
 */
import { changeFigure, intervalFigure } from '../charts/regression.ts'
import type { Figure } from '../charts/figure.ts'
import { formatChange, formatNumber, shortCommit } from '../format.ts'
import { escapeHtml } from '../html/escape.ts'
import { renderFigure, renderPage, renderTable } from '../html/page.ts'
import type { Change, Thresholds, Verdict } from '../regression/compare.ts'
import { intervalText, sortChanges } from '../regression/text-table.ts'
import type { LoadedRun } from '../result/read.ts'
import { renderProvenance } from './provenance.ts'
import type { BuiltPage } from './run-report.ts'

/** Everything the comparison page shows. */
export interface CompareReportInput {
  baselineRuns: readonly LoadedRun[]
  currentRuns: readonly LoadedRun[]
  changes: readonly Change[]
  thresholds: Thresholds
  verdict: Verdict
  warnings: readonly string[]
  generatedAt: string
}

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = {
  fail: 'FAIL: at least one throughput drop passed the fail threshold.',
  'no-match': 'NO MATCH: no workload and engine was measured on both sides, so nothing was compared.',
  incomplete: 'INCOMPLETE: workloads or engines of the baseline are missing from the current run.',
  alert: 'ALERT: at least one throughput drop passed the alert threshold outside the noise.',
  ok: 'OK: no throughput drop passed the alert threshold outside the noise.',
}

function runNames(runs: readonly LoadedRun[]): string {
  return runs.map((run) => `${run.label} (${shortCommit(run.result.provenance.gitCommit)})`).join(', ')
}

/** Builds the comparison page. */
export function buildCompareReport(input: CompareReportInput): BuiltPage {
  const figures = [changeFigure(input.changes, input.thresholds, 'compare-change'), intervalFigure(input.changes, 'compare-ranges')].filter(
    (figure): figure is Figure => figure !== null,
  )
  const rows = sortChanges(input.changes).map((c) => [
    c.level,
    c.workloadLabel,
    c.engine,
    c.baseline === null ? null : c.baseline.medianOpsPerSecond,
    c.baseline === null ? '–' : `${formatNumber(c.baseline.lowOpsPerSecond)} – ${formatNumber(c.baseline.highOpsPerSecond)}`,
    c.current === null ? null : c.current.medianOpsPerSecond,
    c.current === null ? '–' : `${formatNumber(c.current.lowOpsPerSecond)} – ${formatNumber(c.current.highOpsPerSecond)}`,
    c.changeFraction === null ? '–' : formatChange(c.changeFraction),
    c.pairedChangeFraction === null ? '–' : `${formatChange(c.pairedChangeFraction)} (vs ${c.peerEngine})`,
    intervalText(c),
  ])
  const table = renderTable(
    {
      columns: [
        { label: 'Verdict' },
        { label: 'Workload' },
        { label: 'Engine' },
        { label: 'Baseline median', unit: 'ops/s', numeric: true },
        { label: 'Baseline range', unit: 'ops/s', numeric: true },
        { label: 'Current median', unit: 'ops/s', numeric: true },
        { label: 'Current range', unit: 'ops/s', numeric: true },
        { label: 'Change', numeric: true },
        { label: 'Change vs peer', numeric: true },
        { label: '90% interval', numeric: true },
      ],
      rows,
    },
    { caption: 'Every workload and engine, worst first', attributes: 'data-changes' },
  )
  const { alertFraction, failFraction } = input.thresholds
  const sections = [
    `<section id="verdict"><h2>Verdict</h2>`,
    `<p class="verdict level-${input.verdict}" data-verdict="${input.verdict}">${escapeHtml(VERDICT_TEXT[input.verdict])}</p>`,
    `<p>Throughput (bigger is better) per workload and engine, compared on medians. A drop counts only as far as both the ` +
      `change and the change relative to the workload's baseline engine measured in the same run (<em>vs peer</em>, which ` +
      `cancels a machine that is slower as a whole) show it. It fails at ${failFraction * 100}%; it alerts at ${alertFraction * 100}% ` +
      `when the 90% bootstrap interval of the change lies below 0, else it is marked <em>noise</em>. Several runs on one side pool their repetitions.</p>`,
    input.warnings.length === 0
      ? `<p>Both sides were measured with the same preset, suite, machine and versions.</p>`
      : `<h3>Measured differently</h3><ul class="notes" data-warnings>${input.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`,
    `</section>`,
    `<section id="changes"><h2>Changes</h2>`,
    table,
    ...figures.map(renderFigure),
    `</section>`,
    `<section id="provenance"><h2>Provenance</h2>`,
    ...input.baselineRuns.map((run) => renderProvenance(run.result.provenance, `Baseline: ${run.label}`)),
    ...input.currentRuns.map((run) => renderProvenance(run.result.provenance, `Current: ${run.label}`)),
    `</section>`,
  ]
  const html = renderPage({
    title: `Benchmark comparison: ${input.verdict.toUpperCase()}`,
    subtitle: `Baseline ${runNames(input.baselineRuns)} vs current ${runNames(input.currentRuns)}.`,
    sectionsHtml: sections,
    figures,
    generatedAt: input.generatedAt,
  })
  return { html, figures }
}
