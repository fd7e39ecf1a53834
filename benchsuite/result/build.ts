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
import type { EngineResult, PhaseFigures, Provenance, ResultFile, WorkloadResult } from './schema.ts'
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
    notes: [...(adapter?.notes(runOptions) ?? []), ...phaseNotes(cells.map((cell) => cell.phase), options), `check: ${median.check}`],
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
    phase: median.phase,
    ...(median.writer === undefined ? {} : { writer: median.writer }),
    ...(median.callTimings === undefined ? {} : { callTimings: median.callTimings }),
  }
}

/**
 * What a reader must know about the state the phases ran in, over every repetition: load data
 * the engine could not flush, load data flushed inside the phase, background work that never
 * settled, a cold cache that was not cold, a KV-separation engine that separated nothing.
 */
export function phaseNotes(phases: ReadonlyArray<PhaseFigures | undefined>, options: EffectiveOptions): string[] {
  const known = phases.filter((phase): phase is PhaseFigures => phase !== undefined)
  const count = (test: (phase: PhaseFigures) => boolean): string => `${known.filter(test).length} of ${phases.length} repetitions`
  const notes: string[] = []
  if (known.some((p) => p.loadState === 'not-flushable')) {
    notes.push('Load not flushed: the engine has no flush call, so the phase may read (and later flush) load data still in its memtable.')
  }
  if (known.some((p) => p.loadFlushedInPhase === true)) {
    notes.push(`Load data still in memtables was flushed inside the measured phase (${count((p) => p.loadFlushedInPhase === true)}): its cost is in this phase's time and bytes.`)
  }
  if (known.some((p) => p.settled === false)) {
    notes.push(`Background work was still running when the wait after the load gave up (${count((p) => p.settled === false)}): the phase shared the CPU with it.`)
  }
  if (known.some((p) => p.cacheState?.startsWith('reopen') === true)) {
    notes.push(`--cache cold could not drop the OS page cache (${count((p) => p.cacheState?.startsWith('reopen') === true)}): those phases read after a reopen with a warm page cache.`)
  }
  const threshold = options.kvSeparationMinBytes
  if (typeof threshold === 'number' && threshold > 0 && known.length > 0) {
    const largest = Math.max(...known.map((p) => p.valueBytesMax ?? Number.POSITIVE_INFINITY))
    if (largest < threshold) {
      notes.push(`No value reaches the KV-separation threshold (largest value ${largest} B < ${threshold} B): nothing was separated, so this column measures the engine without KV separation.`)
    } else if (known.every((p) => p.separatedValueCount === 0)) {
      notes.push('No value was separated in any repetition (separatedValueCount 0): this column measures the engine without KV separation.')
    }
  }
  return notes
}
