/**
 * The summary table of one workload in one run: each engine's throughput with its spread, the
 * ratio to the baseline engine, latency at p50/p99 with what one sample is and how many there were
 * (p99 only from 100 samples: below that it is the maximum), write amplification and parity. Plus the
 * parity notes: every comparison that is not at parity, with the differences, so nobody reads a
 * ratio without knowing what it compares.
 */
import { latencySampleOf, percentileSupported } from '../../benchsuite/result/latency-sample.ts'
import type { Provenance, WorkloadResult } from '../../benchsuite/result/schema.ts'
import type { DataTable } from '../charts/figure.ts'
import { formatCount, formatNumber, formatParameters, formatRatio } from '../format.ts'
import { escapeHtml } from '../html/escape.ts'
import { renderTable } from '../html/page.ts'

/** The summary of one workload as a table; numbers stay numbers, formatted by the renderer. */
export function summaryTable(workload: WorkloadResult): DataTable {
  const sample = latencySampleOf(workload.workload, workload.parameters)
  return {
    columns: [
      { label: 'Engine' },
      { label: 'Throughput, median', unit: 'ops/s', numeric: true },
      { label: 'Repetition range', unit: 'ops/s', numeric: true },
      { label: 'Repetitions', numeric: true },
      { label: `Ratio to ${workload.baselineEngine}`, numeric: true },
      { label: `p50 latency ${sample}`, unit: 'µs', numeric: true },
      { label: `p99 latency ${sample}`, unit: 'µs', numeric: true },
      { label: 'Latency samples', numeric: true },
      { label: 'Write amplification', unit: '×', numeric: true },
      { label: 'At parity' },
    ],
    rows: workload.engines.map((engine) => {
      const measured = engine.latencyUs.count > 0
      return [
        engine.engine === workload.baselineEngine ? `${engine.engine} (baseline)` : engine.engine,
        engine.opsPerSecond,
        `${formatNumber(engine.opsPerSecondSpread.min)} – ${formatNumber(engine.opsPerSecondSpread.max)}`,
        formatCount(engine.repetitions.length),
        formatRatio(engine.ratioToBaseline),
        measured && engine.latencyUs.p50 > 0 ? engine.latencyUs.p50 : null,
        measured && engine.latencyUs.p99 > 0 && percentileSupported('p99', engine.latencyUs.count) ? engine.latencyUs.p99 : null,
        measured ? formatCount(engine.latencyUs.count) : null,
        engine.storage.writeAmplification > 0 ? engine.storage.writeAmplification : null,
        engine.engine === workload.baselineEngine ? 'baseline' : engine.parityWithBaseline ? 'yes' : 'no, see notes',
      ]
    }),
  }
}

/** Renders the heading, parameters line and summary table of one workload. */
export function renderWorkloadSummary(workload: WorkloadResult, id: string): string {
  const parameters = formatParameters(workload.parameters)
  return [
    `<h3 id="${escapeHtml(id)}">${escapeHtml(workload.workload)}</h3>`,
    `<p class="muted">Parameters: ${escapeHtml(parameters || 'none')}. Baseline engine: ${escapeHtml(workload.baselineEngine)}.</p>`,
    renderTable(summaryTable(workload), { caption: `Summary: ${workload.workload}`, attributes: `data-summary="${escapeHtml(id)}"` }),
  ].join('\n')
}

/** Every note a reader must see for one run: comparisons not at parity, and engine notes. */
export function parityNotes(provenance: Provenance, workloads: readonly WorkloadResult[]): string[] {
  const notes: string[] = []
  for (const workload of workloads) {
    for (const engine of workload.engines) {
      if (engine.engine !== workload.baselineEngine && !engine.parityWithBaseline) {
        const differences = engine.parityDifferences.length > 0 ? engine.parityDifferences.join('; ') : 'differences not recorded'
        notes.push(`${workload.workload}: ${engine.engine} vs ${workload.baselineEngine} is not at parity under preset ${provenance.preset} (${differences}).`)
      }
      for (const note of engine.notes) notes.push(`${workload.workload}: ${engine.engine}: ${note}`)
    }
    // benchsuite records engines that could not run a workload (validate.ts accepts `skipped`).
    const skipped = (workload as { skipped?: ReadonlyArray<{ engine: string; reason: string }> }).skipped ?? []
    for (const entry of skipped) notes.push(`${workload.workload}: ${entry.engine} was skipped: ${entry.reason}`)
  }
  return [...new Set(notes)]
}

/** Renders the notes list, or the sentence saying every comparison is at parity. */
export function renderParityNotes(provenance: Provenance, workloads: readonly WorkloadResult[]): string {
  const notes = parityNotes(provenance, workloads)
  const intro =
    `Preset <strong>${escapeHtml(provenance.preset)}</strong>. Presets move only Strata's configuration; ` +
    `peers stay at their documented baseline. A ratio between engines that are not at parity compares different settings.`
  if (notes.length === 0) return `<p>${intro}</p><p>Every comparison in this run is at parity with its baseline engine.</p>`
  return `<p>${intro}</p><ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('\n')}</ul>`
}
