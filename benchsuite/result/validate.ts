/**
 * Reads and validates a result file against schema.ts. A bad file is rejected with a StrataError
 * whose message names the first offending field by its path (`workloads[0].engines[1].latencyUs.p99`),
 * so a reader of a CI log knows what to fix. An unknown schemaVersion is
 * UNSUPPORTED_FORMAT_VERSION; every other defect is INVALID_ARGUMENT.
 */
import fs from 'node:fs'
import { StrataError } from '../../engine/errors.ts'
import type { ResultFile } from './schema.ts'
import { RESULT_SCHEMA_VERSION } from './schema.ts'

type Check = (value: unknown, path: string) => void

function fail(path: string, expected: string, value: unknown): never {
  const found = value === undefined ? 'nothing' : JSON.stringify(value)?.slice(0, 60)
  throw new StrataError('INVALID_ARGUMENT', `Invalid result file: ${path}: expected ${expected}, found ${found}`, { details: { field: path } })
}

const number: Check = (v, p) => { if (typeof v !== 'number' || !Number.isFinite(v)) fail(p, 'a finite number', v) }
const nonNegative: Check = (v, p) => { number(v, p); if ((v as number) < 0) fail(p, 'a number ≥ 0', v) }
const string: Check = (v, p) => { if (typeof v !== 'string') fail(p, 'a string', v) }
const boolean: Check = (v, p) => { if (typeof v !== 'boolean') fail(p, 'a boolean', v) }
const nullableNumber: Check = (v, p) => { if (v !== null) number(v, p) }
const scalarRecord: Check = (v, p) => {
  object(v, p)
  for (const [key, item] of Object.entries(v as object)) {
    if (!['string', 'number', 'boolean'].includes(typeof item)) fail(`${p}.${key}`, 'a string, number or boolean', item)
  }
}
function object(v: unknown, p: string): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'an object', v)
}
function array(item: Check): Check {
  return (v, p) => {
    if (!Array.isArray(v)) fail(p, 'an array', v)
    v.forEach((element, index) => item(element, `${p}[${index}]`))
  }
}
function shape(fields: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (v, p) => {
    object(v, p)
    const record = v as Record<string, unknown>
    for (const [key, check] of Object.entries(fields)) check(record[key], `${p}.${key}`)
    for (const [key, check] of Object.entries(optional)) if (record[key] !== undefined) check(record[key], `${p}.${key}`)
  }
}
function oneOf(values: readonly string[]): Check {
  return (v, p) => { if (typeof v !== 'string' || !values.includes(v)) fail(p, `one of ${values.join(', ')}`, v) }
}

const provenance = shape({
  gitCommit: (v, p) => { string(v, p); if (v !== 'unknown' && !/^[0-9a-f]{40}$/.test(v as string)) fail(p, "40 hex digits or 'unknown'", v) },
  gitDirty: boolean,
  startedAt: (v, p) => { string(v, p); if (Number.isNaN(Date.parse(v as string))) fail(p, 'an ISO 8601 date', v) },
  hostname: string, platform: string, cpuModel: string, cpuCount: nonNegative, memoryBytes: nonNegative, nodeVersion: string,
  packageVersions: scalarRecord,
  preset: oneOf(['rocksdb-parity', 'lsm-default', 'lsm-paranoid']),
  suite: string, seed: number, source: string,
}, { treeChangedDuringRun: string })

const phaseFigures = shape({}, {
  loadState: oneOf(['flushed', 'not-flushable', 'no-load']), settleMs: nonNegative, settled: boolean, cacheState: string,
  gcBeforePhase: boolean, rssAtStartBytes: nonNegative, peakRssAboveStartBytes: nonNegative, valueBytesMax: nonNegative,
  memtableBytesAtStart: nonNegative, flushesInPhase: nonNegative, compactionsInPhase: nonNegative, loadFlushedInPhase: boolean,
  separatedValueCount: nonNegative, blobBytesWritten: nonNegative,
})

const writerFigures = shape({
  batchCount: nonNegative, operationCount: nonNegative, userBytesWritten: nonNegative, opsPerSecond: nonNegative,
  batchesDueCount: nonNegative, rateLimitBytesPerSecond: nonNegative,
})

const engineResult = shape({
  engine: string,
  options: scalarRecord,
  notes: array(string),
  opsPerSecond: nonNegative,
  opsPerSecondSpread: shape({ min: nonNegative, max: nonNegative, stddev: nonNegative }),
  repetitions: array(nonNegative),
  latencyUs: shape({ p50: nonNegative, p95: nonNegative, p99: nonNegative, p999: nonNegative, max: nonNegative, mean: nonNegative, count: nonNegative }),
  storage: shape({
    userBytesWritten: nonNegative, diskBytesWritten: nonNegative, diskBytesRead: nonNegative, directoryBytes: nonNegative,
    writeAmplification: nonNegative, readAmplification: nonNegative, spaceAmplification: nonNegative,
  }),
  peakRssBytes: nonNegative, cpuUserMs: nonNegative, cpuSystemMs: nonNegative,
  ratioToBaseline: nullableNumber,
  parityWithBaseline: boolean,
  parityDifferences: array(string),
}, {
  phase: phaseFigures,
  writer: writerFigures,
  callTimings: array(shape({ call: string, count: nonNegative, totalMs: nonNegative, maxMs: nonNegative })),
})

const workloadResult = shape(
  { workload: string, parameters: scalarRecord, baselineEngine: string, engines: array(engineResult) },
  { skipped: array(shape({ engine: string, reason: string })) },
)

/**
 * Checks that `value` is a result file this reader understands and returns it typed.
 * @throws {StrataError} `UNSUPPORTED_FORMAT_VERSION` for another schemaVersion, `INVALID_ARGUMENT` naming the bad field.
 */
export function validateResultFile(value: unknown): ResultFile {
  object(value, '$')
  const version = (value as { schemaVersion?: unknown }).schemaVersion
  if (version !== RESULT_SCHEMA_VERSION) {
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION', `Invalid result file: $.schemaVersion: this reader understands version ${RESULT_SCHEMA_VERSION}, found ${JSON.stringify(version)}`, { details: { field: '$.schemaVersion' } })
  }
  shape({ provenance, workloads: array(workloadResult) })(value, '$')
  return value as ResultFile
}

/** Reads `filePath` and validates it; JSON syntax errors name the file. */
export function readResultFile(filePath: string): ResultFile {
  let parsed: unknown
  try {
    parsed = JSON.parse(fs.readFileSync(filePath, 'utf8'))
  } catch (error) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot read result file ${filePath}: ${(error as Error).message}`, { cause: error })
  }
  try {
    return validateResultFile(parsed)
  } catch (error) {
    if (error instanceof StrataError) throw new StrataError(error.code, `${filePath}: ${error.message}`, { cause: error, details: error.details })
    throw error
  }
}
