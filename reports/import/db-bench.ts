/**
 * Imports RocksDB `db_bench` text output into a result file. Reads the header (version, date,
 * CPU, key and value sizes, entry count, compression), every benchmark line
 * "fillrandom   :   5.420 micros/op 184537 ops/sec 5.419 seconds 1000000 operations;   20.4 MB/s"
 * (older releases omit the seconds/operations part) and, with --histogram=1, the latency block
 * that follows it. A benchmark that appears several times (`fillrandom[X3]`) gives repetitions.
 */
import type { EngineResult, LatencyUs, ResultFile, WorkloadResult } from '../../benchsuite/result/schema.ts'
import { ReportError } from '../errors.ts'
import { importedProvenance, summarise, UNMEASURED_STORAGE, type ImportOptions } from './import-options.ts'

/** One benchmark line with the histogram printed under it, if any. */
export interface DbBenchLine {
  benchmark: string
  microsPerOp: number
  opsPerSecond: number
  megabytesPerSecond: number | null
  /** Trailing text such as "(632182 of 1000000 found)". */
  tail: string
  latencyUs: LatencyUs | null
}

/** The parsed output: header facts and benchmark lines in output order. */
export interface DbBenchOutput {
  rocksdbVersion: string | null
  startedAt: string | null
  cpuModel: string | null
  cpuCount: number | null
  keySizeBytes: number | null
  valueSizeBytes: number | null
  keyCount: number | null
  compression: string | null
  lines: DbBenchLine[]
}

const BENCHMARK_LINE = /^(\w[\w.-]*)\s+:\s+([\d.]+) micros\/op\s+(\d+) ops\/sec(?:\s+[\d.]+ seconds\s+\d+ operations)?;\s*(?:([\d.]+) MB\/s)?\s*(.*)$/
const BUCKET_LINE = /^[[(]\s*([\d.]+),\s*([\d.]+)\s*[)\]]\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%/
/** Bounds the lines read, so a wrong file (a binary, a huge log) fails fast. */
export const DB_BENCH_LINE_COUNT_MAX = 1_000_000

/**
 * Parses db_bench output text.
 * @throws {ReportError} `INVALID_RESULT` when no benchmark line is found.
 */
export function parseDbBench(text: string, source = 'db_bench output'): DbBenchOutput {
  const lines = text.split(/\r?\n/)
  if (lines.length > DB_BENCH_LINE_COUNT_MAX) throw new ReportError('INVALID_RESULT', `Cannot import ${source}: ${lines.length} lines exceed ${DB_BENCH_LINE_COUNT_MAX}`)
  const header = (name: string): string | null => {
    const line = lines.find((l) => l.startsWith(`${name}:`))
    return line === undefined ? null : line.slice(name.length + 1).trim()
  }
  const cpu = /^(\d+)\s*\*\s*(.+)$/.exec(header('CPU') ?? '')
  const date = header('Date')
  const parsedDate = date === null ? NaN : Date.parse(`${date} UTC`)
  const output: DbBenchOutput = {
    rocksdbVersion: /version\s+(\S+)/.exec(header('RocksDB') ?? '')?.[1] ?? null,
    startedAt: Number.isNaN(parsedDate) ? null : new Date(parsedDate).toISOString(),
    cpuModel: cpu?.[2].trim() ?? null,
    cpuCount: cpu === null ? null : Number(cpu[1]),
    keySizeBytes: numberBefore(header('Keys'), 'bytes'),
    valueSizeBytes: numberBefore(header('Values'), 'bytes'),
    keyCount: numberBefore(header('Entries'), ''),
    compression: header('Compression'),
    lines: [],
  }
  for (let index = 0; index < lines.length; index += 1) {
    const match = BENCHMARK_LINE.exec(lines[index].trim())
    if (match === null) continue
    output.lines.push({
      benchmark: match[1],
      microsPerOp: Number(match[2]),
      opsPerSecond: Number(match[3]),
      megabytesPerSecond: match[4] === undefined ? null : Number(match[4]),
      tail: match[5].trim(),
      latencyUs: parseHistogram(lines, index + 1),
    })
  }
  if (output.lines.length === 0) {
    throw new ReportError('INVALID_RESULT', `Cannot import ${source}: no "<benchmark> : X micros/op Y ops/sec" line found`, { details: { path: source } })
  }
  return output
}

function numberBefore(text: string | null, unit: string): number | null {
  if (text === null) return null
  const match = new RegExp(`^(\\d+)\\s*${unit}`).exec(text)
  return match === null ? null : Number(match[1])
}

/**
 * Reads the "Microseconds per <op>:" block starting at `start`, up to the next benchmark line.
 * p95 is not printed by db_bench; it is interpolated from the bucket lines when they are there
 * (as RocksDB's own HistogramStat::Percentile does), else left 0 (not measured).
 */
export function parseHistogram(lines: readonly string[], start: number): LatencyUs | null {
  let index = start
  while (index < lines.length && lines[index].trim() === '') index += 1
  if (index >= lines.length || !/^Microseconds per /.test(lines[index].trim())) return null
  const block: string[] = []
  for (index += 1; index < lines.length && !BENCHMARK_LINE.test(lines[index].trim()) && !/^Microseconds per /.test(lines[index].trim()); index += 1) {
    block.push(lines[index].trim())
  }
  const text = block.join('\n')
  const field = (name: string): number => Number(new RegExp(`${name}:\\s*([\\d.]+)`).exec(text)?.[1] ?? NaN)
  const count = field('Count')
  if (!Number.isFinite(count)) return null
  const buckets = block.map((line) => BUCKET_LINE.exec(line)).filter((m): m is RegExpExecArray => m !== null)
  return {
    p50: field('P50'),
    p95: buckets.length > 0 ? bucketPercentile(buckets, 95) : 0,
    p99: field('P99'),
    p999: field('P99\\.9'),
    max: field('Max'),
    mean: field('Average'),
    count,
  }
}

function bucketPercentile(buckets: readonly RegExpExecArray[], percent: number): number {
  const total = buckets.reduce((s, b) => s + Number(b[3]), 0)
  const threshold = (total * percent) / 100
  let cumulative = 0
  for (const bucket of buckets) {
    const [low, high, count] = [Number(bucket[1]), Number(bucket[2]), Number(bucket[3])]
    if (cumulative + count >= threshold) {
      const position = count === 0 ? 0 : (threshold - cumulative) / count
      return Math.round((low + (high - low) * position) * 100) / 100
    }
    cumulative += count
  }
  return Number(buckets[buckets.length - 1][2])
}

/**
 * db_bench benchmarks that do what one of our workloads does, under our name, so an imported run
 * sits beside ours in a report. Only exact matches: db_bench's `fillrandom` may write a key twice
 * (ours writes each once, like `filluniquerandom`), and its `compact` times the compaction alone
 * (ours times the passes too), so those keep db_bench's names, and a rename that would collide
 * with a db_bench benchmark of the same output is skipped.
 */
const SAME_AS_OURS: Readonly<Record<string, string>> = { filluniquerandom: 'fillrandom', multireadrandom: 'multiget' }

/**
 * Converts parsed db_bench output into a result file: one workload per benchmark name, one engine;
 * a benchmark that matches one of our workloads takes its name (its db_bench name is kept in the
 * workload's parameters as `dbBenchName`).
 * @example
 * ```ts
 * const result = dbBenchToResult(parseDbBench(fs.readFileSync('db_bench.txt', 'utf8')), { commit: 'abc1234' })
 * ```
 */
export function dbBenchToResult(output: DbBenchOutput, options: ImportOptions = {}): ResultFile {
  const engine = options.engine ?? 'rocksdb-db_bench'
  const names = [...new Set(output.lines.map((line) => line.benchmark))]
  const parameters: WorkloadResult['parameters'] = {}
  if (output.keyCount !== null) parameters.keyCount = output.keyCount
  if (output.keySizeBytes !== null) parameters.keySizeBytes = output.keySizeBytes
  if (output.valueSizeBytes !== null) parameters.valueSizeBytes = output.valueSizeBytes
  if (output.compression !== null) parameters.compression = output.compression
  const workloads = names.map((name): WorkloadResult => {
    const runs = output.lines.filter((line) => line.benchmark === name)
    const stats = summarise(runs.map((run) => run.opsPerSecond))
    const medianRun = [...runs].sort((a, b) => Math.abs(a.opsPerSecond - stats.median) - Math.abs(b.opsPerSecond - stats.median))[0]
    const latency = medianRun.latencyUs ?? { p50: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: medianRun.microsPerOp, count: 0 }
    const notes = ['Imported from db_bench output: storage figures, RSS and CPU time were not measured.']
    if (medianRun.tail !== '') notes.push(`db_bench reported: ${medianRun.tail}`)
    if (medianRun.latencyUs === null) notes.push('No latency histogram (run db_bench with --histogram=1 for percentiles).')
    const result: EngineResult = {
      engine,
      options: { rocksdbVersion: output.rocksdbVersion ?? 'unknown', compression: output.compression ?? 'unknown' },
      notes,
      opsPerSecond: stats.median,
      opsPerSecondSpread: { min: stats.min, max: stats.max, stddev: Math.round(stats.stddev * 10) / 10 },
      repetitions: runs.map((run) => run.opsPerSecond),
      latencyUs: latency,
      storage: { ...UNMEASURED_STORAGE },
      peakRssBytes: 0,
      cpuUserMs: 0,
      cpuSystemMs: 0,
      ratioToBaseline: 1,
      parityWithBaseline: true,
      parityDifferences: [],
    }
    // A db_bench `fillrandom` in the same output would collide with a renamed filluniquerandom.
    const ours = SAME_AS_OURS[name] !== undefined && !names.includes(SAME_AS_OURS[name]) ? SAME_AS_OURS[name] : undefined
    const workloadParameters = ours === undefined ? { ...parameters } : { ...parameters, dbBenchName: name }
    return { workload: ours ?? name, parameters: workloadParameters, baselineEngine: engine, engines: [result] }
  })
  const provenance = importedProvenance('db_bench', options, {
    startedAt: output.startedAt ?? undefined,
    cpuModel: output.cpuModel ?? undefined,
    cpuCount: output.cpuCount ?? undefined,
    packageVersions: output.rocksdbVersion === null ? {} : { rocksdb: output.rocksdbVersion },
  })
  return { schemaVersion: 1, provenance, workloads }
}
