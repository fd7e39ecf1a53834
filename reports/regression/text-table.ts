/**
 * The comparison as a plain-text table for the terminal and CI logs: one line per workload and
 * engine, the worst levels first, and a verdict line. Pure: returns the text, prints nothing.
 */
import { formatChange, formatNumber } from '../format.ts'
import type { Change, ChangeLevel, Measurement, Thresholds, Verdict } from './compare.ts'

const LEVEL_ORDER: readonly ChangeLevel[] = ['fail', 'alert', 'noise', 'drift', 'improved', 'missing', 'new', 'ok']

const VERDICT_NOTES: Readonly<Record<Verdict, string>> = {
  fail: '',
  'no-match': ': no workload and engine was measured on both sides; compare runs of the same suite and parameters',
  incomplete: ': rows of the baseline are missing from the current run (--allow-missing after a deliberate rename)',
  alert: '',
  ok: '',
}

/** The change's 90% bootstrap interval, or a dash. */
export function intervalText(change: Change): string {
  return change.interval === null ? '–' : `${formatChange(change.interval.low)} … ${formatChange(change.interval.high)}`
}

function range(m: Measurement | null): string {
  if (m === null) return '–'
  return `${formatNumber(m.medianOpsPerSecond)} [${formatNumber(m.lowOpsPerSecond)}–${formatNumber(m.highOpsPerSecond)}]`
}

/** Changes sorted worst first (by level, then by change), ties in input order. */
export function sortChanges(changes: readonly Change[]): Change[] {
  return [...changes].sort((a, b) => LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level) || (a.changeFraction ?? 0) - (b.changeFraction ?? 0))
}

/**
 * Renders the table and the verdict line.
 * @example
 * ```ts
 * process.stdout.write(changesText(changes, thresholds, verdictOf(changes)))
 * ```
 */
export function changesText(changes: readonly Change[], thresholds: Thresholds, verdict: Verdict): string {
  const header = ['level', 'workload', 'engine', 'baseline ops/s [range]', 'current ops/s [range]', 'change', 'vs peer', '90% interval']
  const lines = sortChanges(changes).map((c) => [
    c.level.toUpperCase(),
    c.workloadLabel,
    c.engine,
    range(c.baseline),
    range(c.current),
    c.changeFraction === null ? '–' : formatChange(c.changeFraction),
    c.pairedChangeFraction === null ? '–' : `${formatChange(c.pairedChangeFraction)} (${c.peerEngine})`,
    intervalText(c),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)))
  const format = (cells: string[]): string => cells.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()
  const counts = LEVEL_ORDER.map((level) => [level, changes.filter((c) => c.level === level).length] as const).filter(([, n]) => n > 0)
  return [
    format(header),
    format(widths.map((w) => '-'.repeat(w))),
    ...lines.map(format),
    '',
    `Thresholds: alert at -${thresholds.alertFraction * 100}% when the 90% bootstrap interval lies below 0, fail at -${thresholds.failFraction * 100}%; ` +
      `a drop counts as far as both the change and the change vs the peer engine of the same run show it.`,
    `Verdict: ${verdict.toUpperCase()} (${counts.map(([level, n]) => `${n} ${level}`).join(', ')})${VERDICT_NOTES[verdict]}`,
    '',
  ].join('\n')
}
