/**
 * Turns raw repetitions into the result file: per workload and engine the median ops/s with its
 * spread, the latency and storage figures of the median repetition, the ratio to the baseline
 * engine and the parity verdict against it. Engines that did not run are listed with the reason.
 */
import type { EffectiveOptions, EngineRunOptions } from '../engines/adapter.ts'
import { parityDifferences } from '../engines/effective-options.ts'
import { findEngine } from '../engines/registry.ts'
import { safeRatio, summarize } from '../measure/summary.ts'
import type { CellMeasurement } from '../runner/cell.ts'
import type { RunMeasurements } from '../runner/run.ts'
import type { EngineResult, Provenance, ResultFile, WorkloadResult } from './schema.ts'
import { RESULT_SCHEMA_VERSION } from './schema.ts'

type OkCell = Extract<CellMeasurement, { status: 'ok' }>

export interface BuildInput {
  provenance: Provenance
  measurements: RunMeasurements
  parameters: Record<string, string | number | boolean>
  runOptions: EngineRunOptions
  baselineEngine: string
  /** Engines that could not load, with the reason: listed as skipped on every workload. */
  unavailable: Array<{ engine: string; reason: string }>
}

export function buildResultFile(input: BuildInput): ResultFile {
  const workloads: WorkloadResult[] = []
  for (const [workload, byEngine] of Object.entries(input.measurements)) {
    const skipped = [...input.unavailable]
    const engines: EngineResult[] = []
    for (const [engine, cells] of Object.entries(byEngine)) {
      const ok = cells.filter((cell): cell is OkCell => cell.status === 'ok')
      if (ok.length === 0 || ok.length < cells.length) {
        const bad = cells.find((cell) => cell.status !== 'ok')
        skipped.push({ engine, reason: bad !== undefined && 'reason' in bad ? `${bad.status}: ${bad.reason}` : 'no repetitions' })
        continue
      }
      engines.push(engineResult(engine, ok, input.runOptions))
    }
    const baseline = engines.find((e) => e.engine === input.baselineEngine) ?? engines[0]
    for (const result of engines) {
      if (baseline === undefined) break
      result.ratioToBaseline = safeRatio(result.opsPerSecond, baseline.opsPerSecond)
      result.parityDifferences = result === baseline ? [] : parityDifferences(result.options, baseline.options)
      result.parityWithBaseline = result.parityDifferences.length === 0
    }
    const entry: WorkloadResult = { workload, parameters: input.parameters, baselineEngine: baseline?.engine ?? input.baselineEngine, engines }
    if (skipped.length > 0) entry.skipped = skipped
    workloads.push(entry)
  }
  return { schemaVersion: RESULT_SCHEMA_VERSION, provenance: input.provenance, workloads }
}

function engineResult(engine: string, cells: OkCell[], runOptions: EngineRunOptions): EngineResult {
  const repetitions = cells.map((cell) => cell.opsPerSecond)
  const spread = summarize(repetitions)
  // The repetition closest to the median stands for the others in the latency and storage figures.
  const median = cells.reduce((best, cell) => (Math.abs(cell.opsPerSecond - spread.median) < Math.abs(best.opsPerSecond - spread.median) ? cell : best))
  const adapter = findEngine(engine)
  const options: EffectiveOptions = adapter?.effectiveOptions(runOptions) ?? {}
  return {
    engine,
    options,
    notes: [...(adapter?.notes(runOptions) ?? []), `check: ${median.check}`],
    opsPerSecond: spread.median,
    opsPerSecondSpread: { min: spread.min, max: spread.max, stddev: spread.stddev },
    repetitions,
    latencyUs: median.latencyUs,
    storage: {
      userBytesWritten: median.userBytesWritten,
      diskBytesWritten: median.diskBytesWritten,
      diskBytesRead: median.diskBytesRead,
      directoryBytes: median.directoryBytes,
      writeAmplification: safeRatio(median.diskBytesWritten, median.userBytesWritten),
      readAmplification: safeRatio(median.diskBytesRead, median.userBytesRead),
      spaceAmplification: safeRatio(median.directoryBytes, median.liveUserBytes),
    },
    peakRssBytes: median.peakRssBytes,
    cpuUserMs: median.cpuUserMs,
    cpuSystemMs: median.cpuSystemMs,
    ratioToBaseline: null,
    parityWithBaseline: false,
    parityDifferences: [],
    ...(median.writer === undefined ? {} : { writer: median.writer }),
    ...(median.callTimings === undefined ? {} : { callTimings: median.callTimings }),
  }
}
