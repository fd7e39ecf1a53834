/**
 * Imports criterion.rs results (the JSON criterion writes under
 * target/criterion/<group>/<function>/<value>/new/) into a result file, so Rust harnesses such
 * as compare-rocksdb appear beside our runs. Per benchmark: `benchmark.json` names it (group_id →
 * workload, function_id → engine, value_str → a parameter) and declares its throughput (elements
 * per iteration = operations); `estimates.json` holds nanoseconds per iteration; `sample.json`,
 * when present, holds every sample, which become the repetitions.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { EngineResult, ResultFile, WorkloadResult } from '../../benchsuite/result/schema.ts'
import { ReportError } from '../errors.ts'
import { workloadKeyOf } from '../result/rows.ts'
import { importedProvenance, summarise, UNMEASURED_STORAGE, type ImportOptions } from './import-options.ts'

/** One criterion benchmark as read from its `new/` folder. */
export interface CriterionBenchmark {
  groupId: string
  functionId: string | null
  valueString: string | null
  /** Operations per iteration: Elements throughput, else 1. */
  elementsPerIteration: number
  throughputKind: 'Elements' | 'Bytes' | 'BytesDecimal' | 'none'
  /** Nanoseconds per iteration: slope when criterion fitted one (linear sampling), else mean. */
  nanosecondsPerIteration: number
  medianNanosecondsPerIteration: number
  /** 95% confidence interval of the median, nanoseconds per iteration. */
  medianLowerNanoseconds: number
  medianUpperNanoseconds: number
  /** Nanoseconds per iteration of each sample, when sample.json is there. */
  sampleNanosecondsPerIteration: number[]
  modifiedAt: Date
}

/** Bounds the walk of a criterion folder. */
export const CRITERION_BENCHMARK_COUNT_MAX = 10_000

/**
 * Reads every benchmark under `directory` (a target/criterion folder or any folder inside it).
 * @throws {ReportError} `INVALID_RESULT` when none is found or a file lacks a field, `IO_ERROR`.
 */
export async function readCriterion(directory: string): Promise<CriterionBenchmark[]> {
  let entries
  try {
    entries = await fs.readdir(directory, { recursive: true, withFileTypes: true })
  } catch (error) {
    throw new ReportError('IO_ERROR', `Cannot read ${directory}: ${String((error as { code?: string }).code ?? error)}`, { cause: error, details: { path: directory } })
  }
  const folders = entries
    .filter((e) => e.isFile() && e.name === 'benchmark.json' && path.basename(e.parentPath) === 'new')
    .map((e) => e.parentPath)
    .sort()
  if (folders.length === 0) throw new ReportError('INVALID_RESULT', `Cannot import ${directory}: no <bench>/new/benchmark.json found`, { details: { path: directory } })
  if (folders.length > CRITERION_BENCHMARK_COUNT_MAX) throw new ReportError('INVALID_RESULT', `Cannot import ${directory}: ${folders.length} benchmarks exceed ${CRITERION_BENCHMARK_COUNT_MAX}`)
  const benchmarks: CriterionBenchmark[] = []
  for (const folder of folders) benchmarks.push(await readBenchmark(folder))
  return benchmarks
}

async function readJson(file: string, required: boolean): Promise<Record<string, unknown> | null> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if (!required && (error as { code?: string }).code === 'ENOENT') return null
    throw new ReportError('IO_ERROR', `Cannot read ${file}: ${String((error as { code?: string }).code ?? error)}`, { cause: error, details: { path: file } })
  }
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new ReportError('INVALID_RESULT', `Cannot import ${file}: not JSON`, { cause: error, details: { path: file } })
  }
}

function estimate(estimates: Record<string, unknown>, name: string, file: string): { point: number; lower: number; upper: number } | null {
  const value = estimates[name] as { point_estimate?: unknown; confidence_interval?: { lower_bound?: unknown; upper_bound?: unknown } } | null | undefined
  if (value === null || value === undefined) return null
  const point = value.point_estimate
  const lower = value.confidence_interval?.lower_bound
  const upper = value.confidence_interval?.upper_bound
  if (typeof point !== 'number' || typeof lower !== 'number' || typeof upper !== 'number' || !(point > 0)) {
    throw new ReportError('INVALID_RESULT', `Cannot import ${file}: ${name} lacks a positive point_estimate and its confidence_interval`, { details: { path: file, field: name } })
  }
  return { point, lower, upper }
}

async function readBenchmark(folder: string): Promise<CriterionBenchmark> {
  const benchmarkFile = path.join(folder, 'benchmark.json')
  const estimatesFile = path.join(folder, 'estimates.json')
  const benchmark = (await readJson(benchmarkFile, true))!
  const estimates = await readJson(estimatesFile, true)
  const sample = await readJson(path.join(folder, 'sample.json'), false)
  if (typeof benchmark.group_id !== 'string') throw new ReportError('INVALID_RESULT', `Cannot import ${benchmarkFile}: group_id is not a string`, { details: { path: benchmarkFile } })
  const throughput = benchmark.throughput as Record<string, unknown> | null | undefined
  const kind = throughput ? (Object.keys(throughput)[0] as CriterionBenchmark['throughputKind']) : 'none'
  const elements = kind === 'Elements' && typeof throughput!.Elements === 'number' && throughput!.Elements > 0 ? throughput!.Elements : 1
  const mean = estimate(estimates!, 'mean', estimatesFile)
  const median = estimate(estimates!, 'median', estimatesFile)
  const slope = estimate(estimates!, 'slope', estimatesFile)
  if (mean === null || median === null) throw new ReportError('INVALID_RESULT', `Cannot import ${estimatesFile}: mean or median missing`, { details: { path: estimatesFile } })
  const samples: number[] = []
  if (sample !== null && Array.isArray(sample.iters) && Array.isArray(sample.times) && sample.iters.length === sample.times.length) {
    sample.iters.forEach((iterations, index) => {
      const time = (sample.times as unknown[])[index]
      if (typeof iterations === 'number' && typeof time === 'number' && iterations > 0 && time > 0) samples.push(time / iterations)
    })
  }
  return {
    groupId: benchmark.group_id,
    functionId: typeof benchmark.function_id === 'string' ? benchmark.function_id : null,
    valueString: typeof benchmark.value_str === 'string' ? benchmark.value_str : null,
    elementsPerIteration: elements,
    throughputKind: kind,
    nanosecondsPerIteration: (slope ?? mean).point,
    medianNanosecondsPerIteration: median.point,
    medianLowerNanoseconds: median.lower,
    medianUpperNanoseconds: median.upper,
    sampleNanosecondsPerIteration: samples,
    modifiedAt: (await fs.stat(estimatesFile)).mtime,
  }
}

const opsPerSecondOf = (nanosecondsPerIteration: number, elements: number): number => (elements * 1e9) / nanosecondsPerIteration

/**
 * Converts criterion benchmarks into a result file: workload = group, engine = function id
 * (or options.engine), parameter = the id's value part under options.parameterName.
 * @example
 * ```ts
 * const result = criterionToResult(await readCriterion('target/criterion'), { parameterName: 'keyCount' })
 * ```
 */
export function criterionToResult(benchmarks: readonly CriterionBenchmark[], options: ImportOptions = {}): ResultFile {
  const parameterName = options.parameterName ?? 'parameter'
  const workloads = new Map<string, WorkloadResult>()
  for (const bench of benchmarks) {
    const parameters: WorkloadResult['parameters'] = {}
    if (bench.valueString !== null) parameters[parameterName] = /^\d+(\.\d+)?$/.test(bench.valueString) ? Number(bench.valueString) : bench.valueString
    const key = workloadKeyOf(bench.groupId, parameters)
    const workload = workloads.get(key) ?? { workload: bench.groupId, parameters, baselineEngine: '', engines: [] }
    workloads.set(key, workload)
    workload.engines.push(engineResultOf(bench, options))
  }
  for (const workload of workloads.values()) {
    const names = workload.engines.map((e) => e.engine)
    workload.baselineEngine = options.baselineEngine !== undefined && names.includes(options.baselineEngine)
      ? options.baselineEngine
      : names.includes('rocksdb') ? 'rocksdb' : [...names].sort()[0]
    const baseline = workload.engines.find((e) => e.engine === workload.baselineEngine)!
    for (const engine of workload.engines) {
      engine.ratioToBaseline = engine.opsPerSecond / baseline.opsPerSecond
      if (engine.engine === workload.baselineEngine) {
        engine.parityWithBaseline = true
        engine.parityDifferences = []
      }
    }
  }
  const newest = benchmarks.reduce((latest, b) => (b.modifiedAt > latest ? b.modifiedAt : latest), new Date(0))
  return { schemaVersion: 1, provenance: importedProvenance('criterion', options, { startedAt: newest.toISOString() }), workloads: [...workloads.values()] }
}

function engineResultOf(bench: CriterionBenchmark, options: ImportOptions): EngineResult {
  const elements = bench.elementsPerIteration
  const repetitions = bench.sampleNanosecondsPerIteration.map((ns) => opsPerSecondOf(ns, elements))
  const fromSamples = repetitions.length > 0 ? summarise(repetitions) : null
  const notes = [`Imported from criterion: ${repetitions.length > 0 ? `${repetitions.length} samples are the repetitions` : 'range from the 95% confidence interval of the median'}; storage, RSS and CPU time not measured.`]
  if (bench.throughputKind !== 'Elements') notes.push(`criterion throughput is ${bench.throughputKind}: one operation here is one benchmark iteration.`)
  return {
    engine: bench.functionId ?? options.engine ?? 'criterion',
    options: { elementsPerIteration: elements },
    notes,
    opsPerSecond: fromSamples?.median ?? opsPerSecondOf(bench.medianNanosecondsPerIteration, elements),
    opsPerSecondSpread: fromSamples
      ? { min: fromSamples.min, max: fromSamples.max, stddev: fromSamples.stddev }
      : { min: opsPerSecondOf(bench.medianUpperNanoseconds, elements), max: opsPerSecondOf(bench.medianLowerNanoseconds, elements), stddev: 0 },
    repetitions,
    // criterion times whole iterations, not single operations: the mean per operation is all it gives.
    latencyUs: { p50: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: bench.nanosecondsPerIteration / elements / 1000, count: 0 },
    storage: { ...UNMEASURED_STORAGE },
    peakRssBytes: 0,
    cpuUserMs: 0,
    cpuSystemMs: 0,
    ratioToBaseline: null,
    parityWithBaseline: false,
    parityDifferences: ['not recorded: criterion results carry no engine settings, check the harness'],
  }
}
