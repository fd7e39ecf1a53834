/**
 * `strata bench …`: runs the benchmark suite and writes a result file plus the CI dashboard JSON.
 * Wired by bin/strata.ts; exports main(argv) returning the exit status (0 ok, 1 a check failed or
 * nothing ran, 2 bad usage).
 */
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { checkKeySize, parseKeyOrder, parseValueContent, parseValueSize } from '../datasets/mod.ts'
import type { CompressionSetting } from './engines/adapter.ts'
import { ENGINE_NAMES, ENGINES, findEngine } from './engines/registry.ts'
import { dbBenchCommand } from './db-bench-command.ts'
import { rocksdbNativeAdapter } from './engines/rocksdb-native.ts'
import { describePreset, PRESET_NAMES, resolvePreset } from './presets.ts'
import { buildResultFile } from './result/build.ts'
import { toDashboards } from './result/dashboard.ts'
import { latencySampleOf, percentileSupported } from './result/latency-sample.ts'
import { collectProvenance, noteTreeChange } from './result/provenance.ts'
import type { ResultFile } from './result/schema.ts'
import { runPlan } from './runner/run.ts'
import { SUITES } from './suites.ts'
import type { Suite } from './suites.ts'
import { describeParameters } from './workloads/parameters.ts'
import type { WorkloadParameters } from './workloads/parameters.ts'
import { WORKLOAD_NAMES } from './workloads/registry.ts'

const USAGE = `Usage: strata bench run [options]
       strata bench list
       strata bench db-bench-command [options]   the db_bench 7.8.3 command for the same workloads
                                                 and parameters (import its output with
                                                 strata report import db-bench)

Runs workloads on engines side by side and writes <out>/result-<date>.json (schema:
benchsuite/result/schema.ts) plus dashboard-bigger.json / dashboard-smaller.json for CI.

Options:
  --suite quick|standard|full   sizes and workload list (default quick; see BENCHMARKING.md)
  --engines a,b                 engines to run (default: all; unavailable ones are skipped)
  --workloads x,y               workloads to run (default: the suite's)
  --preset p                    ${PRESET_NAMES.join(' | ')} (default rocksdb-parity, or LSM_BENCH_PRESET)
  --baseline engine             engine ratios are computed against (one of --engines; default
                                rocksdb-native when it runs, else the first engine)
  --out dir                     where result files go (default bench-results)
  --seed n                      seed of every generator (default 42)
  --keys n  --ops n             key count / measured operation count
  --key-size bytes              key size (8..4096, default 16)
  --value-size spec             N | uniform:MIN-MAX | pareto[:MAX] (Facebook ETC fit)
  --value-content spec          random | repeated | compressible[:R] | text | json
  --key-order spec              sequential | permutation | uniform | zipfian[:theta] | latest[:theta]
  --batch-size n                writes per batch and keys per multiget
  --clients n                   concurrent clients (readers; batches in flight for measured writes)
  --duration seconds            stop a measured phase this long after it starts (0: none; not fills,
                                readseq or compaction), like db_bench --duration
  --sync                        fsync every write batch
  --compression c               none | zstd:LEVEL (Strata only; peers keep their baseline)
  --cache warm|hot|cold         after the load (always flushed and settled): 1,000 warm-up reads;
                                every key read and one scan; or close, drop the files from the
                                OS page cache and reopen
  --block-cache-bytes n         Strata's block cache (default: the preset's; peers keep theirs)
  --min-blob-size bytes         KV-separation threshold for blobtree (default 1024)
  --write-rate-limit bytes      readwhilewriting's writer, key + value bytes per second (default
                                2097152, as RocksDB's benchmark.sh MB_WRITE_PER_SEC=2)
  --repetitions n  --warmup n   measured and discarded repetitions
  --isolation process|none      a child process per engine and repetition (default) or in-process
  --data-dir dir                where engine directories are created (default <out>/data)
  -h, --help                    this text

Engines: ${ENGINE_NAMES.join(', ')}
Workloads: ${WORKLOAD_NAMES.join(', ')}
`

class UsageError extends Error {}

function integer(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`${flag} must be an integer ≥ ${min}, got '${text}'`)
  return value
}

function list(text: string | undefined, known: readonly string[], what: string): string[] | undefined {
  if (text === undefined) return undefined
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  const unknown = names.filter((name) => !known.includes(name))
  if (unknown.length > 0) throw new UsageError(`unknown ${what} ${unknown.map((n) => `'${n}'`).join(', ')}; known: ${known.join(', ')}`)
  if (names.length === 0) throw new UsageError(`--${what}s needs at least one name`)
  return names
}

function compression(text: string | undefined): CompressionSetting | undefined {
  if (text === undefined) return undefined
  if (text === 'none') return { codec: 'none' }
  const match = /^zstd:(\d+)$/.exec(text)
  if (match === null || Number(match[1]) < 1 || Number(match[1]) > 22) throw new UsageError(`--compression must be none or zstd:LEVEL (1..22), got '${text}'`)
  return { codec: 'zstd', level: Number(match[1]) }
}

function parseRunArguments(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      suite: { type: 'string' }, engines: { type: 'string' }, workloads: { type: 'string' }, preset: { type: 'string' },
      baseline: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, keys: { type: 'string' }, ops: { type: 'string' },
      'key-size': { type: 'string' }, 'value-size': { type: 'string' }, 'value-content': { type: 'string' }, 'key-order': { type: 'string' },
      'batch-size': { type: 'string' }, clients: { type: 'string' }, duration: { type: 'string' }, sync: { type: 'boolean' }, compression: { type: 'string' },
      cache: { type: 'string' }, 'block-cache-bytes': { type: 'string' }, 'min-blob-size': { type: 'string' }, 'write-rate-limit': { type: 'string' }, repetitions: { type: 'string' }, warmup: { type: 'string' },
      isolation: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  })
  return values
}

type RunArguments = ReturnType<typeof parseRunArguments>

function buildParameters(values: RunArguments, base: WorkloadParameters): WorkloadParameters {
  const parse = <T>(flag: string, text: string | undefined, parser: (t: string) => T): T | undefined => {
    if (text === undefined) return undefined
    try { return parser(text) } catch (error) { throw new UsageError(`${flag}: ${(error as Error).message}`) }
  }
  if (values.cache !== undefined && values.cache !== 'warm' && values.cache !== 'hot' && values.cache !== 'cold') throw new UsageError(`--cache must be warm, hot or cold, got '${values.cache}'`)
  return {
    ...base,
    seed: integer(values.seed, '--seed', 0) ?? base.seed,
    keyCount: integer(values.keys, '--keys', 1) ?? base.keyCount,
    operationCount: integer(values.ops, '--ops', 1) ?? base.operationCount,
    keySizeBytes: parse('--key-size', values['key-size'], (t) => checkKeySize(Number(t))) ?? base.keySizeBytes,
    valueSize: parse('--value-size', values['value-size'], parseValueSize) ?? base.valueSize,
    valueContent: parse('--value-content', values['value-content'], parseValueContent) ?? base.valueContent,
    keyOrder: parse('--key-order', values['key-order'], parseKeyOrder) ?? base.keyOrder,
    batchSize: integer(values['batch-size'], '--batch-size', 1) ?? base.batchSize,
    clients: integer(values.clients, '--clients', 1) ?? base.clients,
    durationSeconds: integer(values.duration, '--duration', 0) ?? base.durationSeconds,
    sync: values.sync ?? base.sync,
    compression: compression(values.compression) ?? base.compression,
    cache: (values.cache as 'warm' | 'hot' | 'cold' | undefined) ?? base.cache,
    blockCacheBytes: integer(values['block-cache-bytes'], '--block-cache-bytes', 0) ?? base.blockCacheBytes,
    minBlobSizeBytes: integer(values['min-blob-size'], '--min-blob-size', 0) ?? base.minBlobSizeBytes,
    writeRateLimitBytesPerSecond: integer(values['write-rate-limit'], '--write-rate-limit', 1) ?? base.writeRateLimitBytesPerSecond,
  }
}

async function run(argv: string[]): Promise<number> {
  const values = parseRunArguments(argv)
  if (values.help) { process.stdout.write(USAGE); return 0 }
  const suite = SUITES[values.suite ?? 'quick']
  if (suite === undefined) throw new UsageError(`unknown suite '${values.suite}'; known: ${Object.keys(SUITES).join(', ')}`)
  const preset = resolvePreset(values.preset)
  const parameters = buildParameters(values, suite.parameters)
  const requested = list(values.engines, ENGINE_NAMES, 'engine') ?? [...ENGINE_NAMES]
  const workloads = list(values.workloads, WORKLOAD_NAMES, 'workload') ?? suite.workloads
  if (values.isolation !== undefined && values.isolation !== 'process' && values.isolation !== 'none') throw new UsageError(`--isolation must be process or none, got '${values.isolation}'`)
  const baselineEngine = values.baseline ?? (requested.includes('rocksdb-native') ? 'rocksdb-native' : requested[0])
  if (!ENGINE_NAMES.includes(baselineEngine)) throw new UsageError(`unknown baseline engine '${baselineEngine}'; known: ${ENGINE_NAMES.join(', ')}`)
  if (!requested.includes(baselineEngine)) throw new UsageError(`baseline engine '${baselineEngine}' is not among --engines (${requested.join(', ')})`)
  const outDirectory = path.resolve(values.out ?? 'bench-results')
  const log = (line: string): void => { process.stderr.write(`${line}\n`) }

  log(`strata bench: suite ${suite.name}, ${describePreset(preset)}`)
  log(`parameters: ${JSON.stringify(describeParameters(parameters))}`)
  const engines: string[] = []
  const unavailable: Array<{ engine: string; reason: string }> = []
  for (const name of requested) {
    const availability = await findEngine(name)!.load()
    if (availability.available) engines.push(name)
    else { unavailable.push({ engine: name, reason: availability.reason }); log(`skipping engine ${name}: ${availability.reason}`) }
  }
  if (engines.length === 0) { log('no requested engine is available: nothing to run'); return 1 }
  const repetitions = integer(values.repetitions, '--repetitions', 1) ?? suite.repetitions
  const warmupRepetitions = integer(values.warmup, '--warmup', 0) ?? suite.warmupRepetitions
  // Taken before the run: startedAt, and the commit the workers start on.
  const provenance = collectProvenance({ preset: preset.name, suite: suiteLabel(suite, { workloads, parameters, repetitions, warmupRepetitions }), seed: parameters.seed })
  const measurements = await runPlan({
    engines, workloads, parameters, preset: preset.name, repetitions, warmupRepetitions,
    isolation: (values.isolation as 'process' | 'none' | undefined) ?? 'process',
    dataRoot: path.resolve(values['data-dir'] ?? path.join(outDirectory, 'data')),
    log,
  })
  const treeChange = noteTreeChange(provenance)
  if (treeChange !== undefined) log(`warning: ${treeChange}; engine runs may have run different code (recorded in provenance)`)
  const runOptions = { preset, compression: parameters.compression, sync: parameters.sync, minBlobSizeBytes: parameters.minBlobSizeBytes, blockCacheBytes: parameters.blockCacheBytes }
  const result = buildResultFile({
    provenance,
    measurements, parameters: describeParameters(parameters), runOptions, baselineEngine, unavailable,
  })
  const written = writeOutputs(result, outDirectory)
  process.stdout.write(summaryTable(result))
  log(`wrote ${written.join(', ')}`)
  const failures = result.workloads.flatMap((w) => (w.skipped ?? []).filter((s) => s.reason.startsWith('failed')))
  return failures.length > 0 ? 1 : 0
}

/**
 * The suite's name when the run used its workloads, sizes and repetitions (seed and engines may
 * differ), else 'custom': a result labelled 'standard' is comparable with any other 'standard'.
 */
export function suiteLabel(suite: Suite, run: { workloads: readonly string[]; parameters: WorkloadParameters; repetitions: number; warmupRepetitions: number }): string {
  const withoutSeed = (p: WorkloadParameters): string => JSON.stringify({ ...describeParameters(p), seed: 0 })
  const same = run.workloads.join() === suite.workloads.join() && withoutSeed(run.parameters) === withoutSeed(suite.parameters) &&
    run.repetitions === suite.repetitions && run.warmupRepetitions === suite.warmupRepetitions
  return same ? suite.name : 'custom'
}

function writeOutputs(result: ResultFile, outDirectory: string): string[] {
  fs.mkdirSync(outDirectory, { recursive: true })
  const stamp = result.provenance.startedAt.replace(/[:.]/g, '-')
  const resultPath = path.join(outDirectory, `result-${stamp}.json`)
  fs.writeFileSync(resultPath, `${JSON.stringify(result, null, 2)}\n`)
  const dashboards = toDashboards(result)
  const biggerPath = path.join(outDirectory, 'dashboard-bigger.json')
  const smallerPath = path.join(outDirectory, 'dashboard-smaller.json')
  fs.writeFileSync(biggerPath, `${JSON.stringify(dashboards.biggerIsBetter, null, 2)}\n`)
  fs.writeFileSync(smallerPath, `${JSON.stringify(dashboards.smallerIsBetter, null, 2)}\n`)
  return [resultPath, biggerPath, smallerPath]
}

/**
 * A plain-text table for the terminal: ops/s, ratio, p50/p99 latency with the sample count, WA per
 * workload and engine. The heading names what one latency sample is; a p99 of fewer than 100
 * samples is only their maximum, so it prints as a dash.
 */
export function summaryTable(result: ResultFile): string {
  const lines: string[] = []
  for (const workload of result.workloads) {
    lines.push(`\n${workload.workload} (baseline ${workload.baselineEngine}; latency ${latencySampleOf(workload.workload, workload.parameters)})`)
    lines.push(`  ${'engine'.padEnd(22)}${'ops/s'.padStart(12)}${'ratio'.padStart(8)}${'p50 µs'.padStart(10)}${'p99 µs'.padStart(10)}${'n'.padStart(8)}${'WA'.padStart(7)}  parity`)
    for (const e of workload.engines) {
      const p99 = percentileSupported('p99', e.latencyUs.count) ? e.latencyUs.p99.toFixed(1) : '–'
      lines.push(`  ${e.engine.padEnd(22)}${Math.round(e.opsPerSecond).toLocaleString('en-US').padStart(12)}${(e.ratioToBaseline ?? 0).toFixed(2).padStart(8)}` +
        `${e.latencyUs.p50.toFixed(1).padStart(10)}${p99.padStart(10)}${String(e.latencyUs.count).padStart(8)}${e.storage.writeAmplification.toFixed(2).padStart(7)}  ` +
        `${e.parityWithBaseline ? 'yes' : `no (${e.parityDifferences.map((d) => d.split(':')[0]).join(', ')})`}`)
    }
    for (const s of workload.skipped ?? []) lines.push(`  ${s.engine.padEnd(22)} skipped: ${s.reason}`)
  }
  return `${lines.join('\n')}\n`
}

function printDbBenchCommand(argv: string[]): number {
  const values = parseRunArguments(argv)
  if (values.help) { process.stdout.write(USAGE); return 0 }
  const suite = SUITES[values.suite ?? 'quick']
  if (suite === undefined) throw new UsageError(`unknown suite '${values.suite}'; known: ${Object.keys(SUITES).join(', ')}`)
  const parameters = buildParameters(values, suite.parameters)
  const workloads = list(values.workloads, WORKLOAD_NAMES, 'workload') ?? suite.workloads
  // db_bench stands in for the RocksDB baseline: its table settings are rocksdb-native's.
  const rocks = rocksdbNativeAdapter.effectiveOptions({ preset: resolvePreset(values.preset), compression: parameters.compression, sync: parameters.sync, minBlobSizeBytes: parameters.minBlobSizeBytes })
  const { argv: command, omitted } = dbBenchCommand(workloads, parameters, { bloomBitsPerKey: Number(rocks.bloomBitsPerKey), blockCacheBytes: Number(rocks.blockCacheBytes) })
  process.stdout.write(`${command.join(' ')}\n`)
  for (const line of omitted) process.stdout.write(`# not the same: ${line}\n`)
  return 0
}

async function listEngines(): Promise<number> {
  for (const engine of ENGINES) {
    const availability = await engine.load()
    process.stdout.write(`${engine.name.padEnd(22)} ${availability.available ? `available (${availability.version})` : `unavailable: ${availability.reason}`}\n    ${engine.summary}\n`)
  }
  process.stdout.write(`\nworkloads: ${WORKLOAD_NAMES.join(', ')}\n`)
  return 0
}

/** Entry point for `strata bench`. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    }
    if (command === 'list') return await listEngines()
    if (command === 'db-bench-command') return printDbBenchCommand(rest)
    if (command === 'run') return await run(rest)
    throw new UsageError(`unknown subcommand '${command}'`)
  } catch (error) {
    const isUsage = error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (error as { code?: string }).code === 'INVALID_ARGUMENT' || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
    if (!isUsage) throw error
    process.stderr.write(`strata bench: ${(error as Error).message}\nRun 'strata bench run --help' for usage.\n`)
    return 2
  }
}
