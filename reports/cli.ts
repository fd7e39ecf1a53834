/**
 * `strata report`: builds HTML reports from result files, compares runs as a CI gate, draws
 * history, exports dashboard JSON and imports db_bench / criterion output. bin/strata.ts
 * dispatches here. Exit status: 0 success (a compare with alerts included), 1 a compare past
 * the fail threshold, 2 a usage error or an input that cannot be read, 3 a compare whose runs do
 * not cover each other (nothing matched, or baseline rows missing from the current run).
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { Provenance, ResultFile } from '../benchsuite/result/schema.ts'
import { dashboardEntries } from './dashboard.ts'
import { isReportError, ReportError } from './errors.ts'
import { criterionToResult, readCriterion } from './import/criterion.ts'
import { dbBenchToResult, parseDbBench } from './import/db-bench.ts'
import type { ImportOptions } from './import/import-options.ts'
import { buildCompareReport } from './pages/compare-report.ts'
import { buildHistoryReport } from './pages/history-report.ts'
import { buildRunReport } from './pages/run-report.ts'
import { compareRows, exitStatusOf, parseThreshold, verdictOf } from './regression/compare.ts'
import { parameterWarnings, provenanceWarnings } from './regression/provenance-check.ts'
import { changesText } from './regression/text-table.ts'
import { checkResultFile, readResultFiles } from './result/read.ts'
import { engineRows } from './result/rows.ts'

const USAGE = `Usage:
  strata report <result files or folders…> --out report.html [--title TEXT]
      One page per set of runs: provenance, summary tables, parity notes, throughput, latency,
      amplification and scaling charts.
  strata report compare --baseline <file|folder> --current <file|folder>
                        [--threshold 10%] [--fail-threshold 25%] [--out page.html]
                        [--allow-missing] [--verdict-file FILE]
      Regression gate on median throughput (docs/reports.md, "The regression rule"). Prints a
      table of changes; exits 1 when a drop passes the fail threshold, 3 when no workload and
      engine matched or baseline rows are missing from the current run (--allow-missing: after
      a deliberate rename), 0 otherwise (alerts warn only). --verdict-file appends
      "verdict=<fail|no-match|incomplete|alert|ok>" (for $GITHUB_OUTPUT).
      --baseline and --current may repeat; several runs on one side pool their repetitions.
  strata report history <folder…> --out trends.html [--title TEXT]
      Throughput trends per workload and engine over the runs' dates.
  strata report dashboard <result files or folders…> --out bench.json
      Writes github-action-benchmark customBiggerIsBetter JSON (ops/s per workload and engine).
  strata report import db-bench <db_bench output.txt> --out result.json [import options]
  strata report import criterion <target/criterion folder> --out result.json [import options]
      Import options: --engine NAME --baseline-engine NAME --commit SHA --started-at ISO
                      --hostname NAME --preset rocksdb-parity|lsm-default|lsm-paranoid
                      --parameter-name NAME (criterion: what the id's value part is, e.g. keyCount)

Exit status: 0 ok, 1 compare failed the gate, 2 usage error or unreadable input,
3 compare matched nothing or missed baseline rows.
`

/** Parses `argv` with `options`; unknown options and missing values become usage errors. */
function parse(argv: string[], options: ParseArgsConfig['options']): { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true })
    return { values: values as Record<string, string | string[] | boolean | undefined>, positionals }
  } catch (error) {
    throw new ReportError('INVALID_ARGUMENT', (error as Error).message.replace(/\. To specify a positional argument.*$/s, ''))
  }
}

function requireOut(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new ReportError('INVALID_ARGUMENT', 'Missing --out <file>')
  return value
}

function writeError(file: string, error: unknown): ReportError {
  return new ReportError('IO_ERROR', `Cannot write ${file}: ${String((error as { code?: string }).code ?? error)}`, { cause: error, details: { path: file } })
}

async function writeOutput(file: string, text: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true })
    await fs.writeFile(file, text)
  } catch (error) {
    throw writeError(file, error)
  }
}

/** Appends `verdict=<verdict>` as a line: appending lets the file be GitHub's $GITHUB_OUTPUT. */
async function appendVerdict(file: string, verdict: string): Promise<void> {
  try {
    await fs.appendFile(file, `verdict=${verdict}\n`)
  } catch (error) {
    throw writeError(file, error)
  }
}

function threshold(value: unknown, fallback: string, name: string): number {
  const text = typeof value === 'string' ? value : fallback
  const fraction = parseThreshold(text)
  if (fraction === null) throw new ReportError('INVALID_ARGUMENT', `Invalid --${name} ${JSON.stringify(text)}: expected a percentage between 0 and 100, such as 10%`)
  return fraction
}

async function runReport(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string', short: 'o' }, title: { type: 'string' } })
  if (values.help) return help()
  if (positionals.length === 0) throw new ReportError('INVALID_ARGUMENT', 'Missing result files or folders')
  const out = requireOut(values.out)
  const runs = await readResultFiles(positionals)
  const page = buildRunReport(runs, { generatedAt: new Date().toISOString(), title: values.title as string | undefined })
  await writeOutput(out, page.html)
  process.stdout.write(`Wrote ${out}: ${runs.length} run(s), ${page.figures.length} charts\n`)
  return 0
}

async function runCompare(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    baseline: { type: 'string', multiple: true },
    current: { type: 'string', multiple: true },
    threshold: { type: 'string' },
    'fail-threshold': { type: 'string' },
    out: { type: 'string', short: 'o' },
    'allow-missing': { type: 'boolean' },
    'verdict-file': { type: 'string' },
  })
  if (values.help) return help()
  if (positionals.length > 0) throw new ReportError('INVALID_ARGUMENT', `Unexpected argument ${JSON.stringify(positionals[0])}: use --baseline and --current`)
  const baselineInputs = (values.baseline as string[] | undefined) ?? []
  const currentInputs = (values.current as string[] | undefined) ?? []
  if (baselineInputs.length === 0) throw new ReportError('INVALID_ARGUMENT', 'Missing --baseline <file|folder>')
  if (currentInputs.length === 0) throw new ReportError('INVALID_ARGUMENT', 'Missing --current <file|folder>')
  const thresholds = { alertFraction: threshold(values.threshold, '10%', 'threshold'), failFraction: threshold(values['fail-threshold'], '25%', 'fail-threshold') }
  if (thresholds.failFraction < thresholds.alertFraction) {
    throw new ReportError('INVALID_ARGUMENT', `Invalid thresholds: --fail-threshold ${thresholds.failFraction * 100}% is below --threshold ${thresholds.alertFraction * 100}%`)
  }
  const baselineRuns = await readResultFiles(baselineInputs)
  const currentRuns = await readResultFiles(currentInputs)
  const baselineRows = engineRows(baselineRuns)
  const currentRows = engineRows(currentRuns)
  const changes = compareRows(baselineRows, currentRows, thresholds)
  const verdict = verdictOf(changes, { allowMissing: values['allow-missing'] === true })
  const warnings = [
    ...provenanceWarnings(baselineRuns.map((r) => r.result.provenance), currentRuns.map((r) => r.result.provenance)),
    ...parameterWarnings(baselineRows, currentRows),
  ]
  process.stdout.write(changesText(changes, thresholds, verdict))
  for (const warning of warnings) process.stdout.write(`Warning: ${warning}\n`)
  if (typeof values['verdict-file'] === 'string') await appendVerdict(values['verdict-file'], verdict)
  if (typeof values.out === 'string') {
    const page = buildCompareReport({ baselineRuns, currentRuns, changes, thresholds, verdict, warnings, generatedAt: new Date().toISOString() })
    await writeOutput(values.out, page.html)
    process.stdout.write(`Wrote ${values.out}\n`)
  }
  return exitStatusOf(verdict)
}

async function runHistory(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string', short: 'o' }, title: { type: 'string' } })
  if (values.help) return help()
  if (positionals.length === 0) throw new ReportError('INVALID_ARGUMENT', 'Missing the folder of result files')
  const out = requireOut(values.out)
  const runs = await readResultFiles(positionals)
  const page = buildHistoryReport(runs, { generatedAt: new Date().toISOString(), title: values.title as string | undefined })
  await writeOutput(out, page.html)
  process.stdout.write(`Wrote ${out}: ${runs.length} run(s)\n`)
  return 0
}

async function runDashboard(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { out: { type: 'string', short: 'o' } })
  if (values.help) return help()
  if (positionals.length === 0) throw new ReportError('INVALID_ARGUMENT', 'Missing result files or folders')
  const out = requireOut(values.out)
  const entries = dashboardEntries(await readResultFiles(positionals))
  await writeOutput(out, JSON.stringify(entries, null, 2) + '\n')
  process.stdout.write(`Wrote ${out}: ${entries.length} entries\n`)
  return 0
}

const PRESETS: ReadonlyArray<Provenance['preset']> = ['rocksdb-parity', 'lsm-default', 'lsm-paranoid']

async function runImport(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv
  const { values, positionals } = parse(rest, {
    out: { type: 'string', short: 'o' },
    engine: { type: 'string' },
    'baseline-engine': { type: 'string' },
    commit: { type: 'string' },
    'started-at': { type: 'string' },
    hostname: { type: 'string' },
    preset: { type: 'string' },
    'parameter-name': { type: 'string' },
  })
  if (values.help || kind === '--help' || kind === '-h') return help()
  if (kind !== 'db-bench' && kind !== 'criterion') throw new ReportError('INVALID_ARGUMENT', `Unknown import kind ${JSON.stringify(kind ?? '')}: expected db-bench or criterion`)
  if (positionals.length !== 1) throw new ReportError('INVALID_ARGUMENT', `strata report import ${kind} takes exactly one input, got ${positionals.length}`)
  const out = requireOut(values.out)
  const preset = values.preset as Provenance['preset'] | undefined
  if (preset !== undefined && !PRESETS.includes(preset)) throw new ReportError('INVALID_ARGUMENT', `Invalid --preset ${JSON.stringify(preset)}: expected ${PRESETS.join(', ')}`)
  const commit = values.commit as string | undefined
  if (commit !== undefined && commit !== 'unknown' && !/^[0-9a-f]{40}$/.test(commit)) {
    throw new ReportError('INVALID_ARGUMENT', `Invalid --commit ${JSON.stringify(commit)}: expected the full 40-hex commit id (git rev-parse HEAD) or 'unknown'`)
  }
  const startedAt = values['started-at'] as string | undefined
  if (startedAt !== undefined && Number.isNaN(Date.parse(startedAt))) throw new ReportError('INVALID_ARGUMENT', `Invalid --started-at ${JSON.stringify(startedAt)}: expected an ISO 8601 date`)
  const options: ImportOptions = {
    engine: values.engine as string | undefined,
    baselineEngine: values['baseline-engine'] as string | undefined,
    commit,
    startedAt: startedAt === undefined ? undefined : new Date(startedAt).toISOString(),
    hostname: values.hostname as string | undefined,
    preset,
    parameterName: values['parameter-name'] as string | undefined,
  }
  const input = positionals[0]
  let result: ResultFile
  if (kind === 'db-bench') {
    let text: string
    try {
      text = await fs.readFile(input, 'utf8')
    } catch (error) {
      throw new ReportError('IO_ERROR', `Cannot read ${input}: ${String((error as { code?: string }).code ?? error)}`, { cause: error, details: { path: input } })
    }
    result = dbBenchToResult(parseDbBench(text, input), options)
  } else {
    result = criterionToResult(await readCriterion(input), options)
  }
  checkResultFile(result, `import of ${input}`) // our own output: a failure here is a bug, caught before writing.
  await writeOutput(out, JSON.stringify(result, null, 2) + '\n')
  process.stdout.write(`Wrote ${out}: ${result.workloads.length} workload(s) from ${kind}\n`)
  return 0
}

function help(): number {
  process.stdout.write(USAGE)
  return 0
}

/**
 * Runs `strata report` with `argv` (the arguments after `report`) and returns the exit status.
 * @example
 * ```ts
 * process.exitCode = await main(['compare', '--baseline', 'a.json', '--current', 'b.json'])
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv
  try {
    if (first === undefined) {
      process.stderr.write(USAGE)
      return 2
    }
    if (first === '--help' || first === '-h' || first === 'help') return help()
    if (first === 'compare') return await runCompare(rest)
    if (first === 'history') return await runHistory(rest)
    if (first === 'dashboard') return await runDashboard(rest)
    if (first === 'import') return await runImport(rest)
    return await runReport(argv)
  } catch (error) {
    if (!isReportError(error)) throw error
    process.stderr.write(`strata report: ${error.message}\n`)
    if (error.code === 'INVALID_ARGUMENT') process.stderr.write(`Run 'strata report --help' for usage.\n`)
    return 2
  }
}
