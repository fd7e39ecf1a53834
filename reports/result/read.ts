/**
 * Reads result files (benchsuite/result/schema.ts, version 1) from files and folders and checks
 * the fields reports/ uses: first the suite's full validator (benchsuite/result/validate.ts), then
 * the checks reports/ itself depends on (non-negative numbers, a parsable date), so a malformed
 * file is refused with the field it got wrong instead of drawn as a wrong number.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { RESULT_SCHEMA_VERSION, type ResultFile } from '../../benchsuite/result/schema.ts'
import { validateResultFile } from '../../benchsuite/result/validate.ts'
import { ReportError } from '../errors.ts'

/** One result file as loaded: where it came from and its content. */
export interface LoadedRun {
  path: string
  /** The file name without `.json`: how tables and legends name the run. */
  label: string
  result: ResultFile
}

/** Bounds the folder walk so a wrong argument (such as `/`) fails fast instead of reading a disk. */
export const RESULT_FILE_COUNT_MAX = 10_000
/** A result file is a few hundred KiB at most; anything far larger is not one. */
export const RESULT_FILE_SIZE_BYTES_MAX = 64 * 1024 * 1024

/**
 * Loads every result file named in `inputs`: files as given, folders walked for `*.json`.
 * Runs come back sorted by `provenance.startedAt`, then by path.
 * @example
 * ```ts
 * const runs = await readResultFiles(['reports/fixtures/runs'])
 * ```
 * @throws {ReportError} `IO_ERROR` when a path cannot be read, `INVALID_RESULT` when a file is
 * not a result file, `UNSUPPORTED_FORMAT_VERSION` for an unknown schemaVersion.
 */
export async function readResultFiles(inputs: readonly string[]): Promise<LoadedRun[]> {
  const files = new Map<string, boolean>() // path → found by a folder walk
  for (const input of inputs) {
    for (const [file, walked] of await expandInput(input)) files.set(file, (files.get(file) ?? true) && walked)
  }
  if (files.size > RESULT_FILE_COUNT_MAX) {
    throw new ReportError('INVALID_ARGUMENT', `Cannot read result files: ${files.size} files exceed ${RESULT_FILE_COUNT_MAX}`)
  }
  const runs: LoadedRun[] = []
  for (const [file, walked] of files) {
    const run = await readResultFile(file, { skipOtherJson: walked })
    if (run !== null) runs.push(run)
  }
  if (runs.length === 0) throw new ReportError('INVALID_ARGUMENT', `Cannot read result files: none found in ${inputs.join(', ')}`)
  return runs.sort(
    (a, b) => a.result.provenance.startedAt.localeCompare(b.result.provenance.startedAt) || a.path.localeCompare(b.path),
  )
}

/**
 * Loads and checks one result file. With `skipOtherJson` (files found by walking a folder), JSON
 * that is not meant as a result file (no top-level `schemaVersion`: the suite's dashboard-*.json,
 * criterion's files) returns null instead of failing; a file that claims to be one is checked.
 */
export async function readResultFile(file: string, options: { skipOtherJson?: boolean } = {}): Promise<LoadedRun | null> {
  let text: string
  try {
    const stat = await fs.stat(file)
    if (stat.size > RESULT_FILE_SIZE_BYTES_MAX) {
      throw new ReportError('INVALID_RESULT', `Cannot read ${file}: ${stat.size} bytes exceed ${RESULT_FILE_SIZE_BYTES_MAX}`, {
        details: { path: file },
      })
    }
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    if (error instanceof ReportError) throw error
    throw ioError('read', file, error)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ReportError('INVALID_RESULT', `Cannot read ${file}: not JSON (${(error as Error).message})`, {
      cause: error,
      details: { path: file },
    })
  }
  const claimsResult = typeof json === 'object' && json !== null && !Array.isArray(json) && 'schemaVersion' in json
  if (options.skipOtherJson && !claimsResult) return null
  return { path: file, label: path.basename(file).replace(/\.json$/i, ''), result: checkResultFile(json, file) }
}

async function expandInput(input: string): Promise<Array<[string, boolean]>> {
  let stat
  try {
    stat = await fs.stat(input)
  } catch (error) {
    throw ioError('read', input, error)
  }
  if (!stat.isDirectory()) return [[input, false]]
  const found: string[] = []
  const entries = await fs.readdir(input, { withFileTypes: true, recursive: true })
  for (const entry of entries) {
    if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) found.push(path.join(entry.parentPath, entry.name))
  }
  if (found.length === 0) {
    throw new ReportError('INVALID_ARGUMENT', `Cannot read result files in ${input}: the folder holds no .json file`, {
      details: { path: input },
    })
  }
  return found.sort().map((file) => [file, true])
}

function ioError(action: string, file: string, cause: unknown): ReportError {
  const errno = (cause as { code?: unknown })?.code
  return new ReportError('IO_ERROR', `Cannot ${action} ${file}: ${String(errno ?? cause)}`, {
    cause,
    details: { path: file, errno: typeof errno === 'string' ? errno : 'unknown' },
  })
}

/**
 * Checks that `json` has every field reports/ reads, with the right types, and returns it typed.
 * @throws {ReportError} `INVALID_RESULT` naming the first bad field, `UNSUPPORTED_FORMAT_VERSION`.
 */
export function checkResultFile(json: unknown, source: string): ResultFile {
  try {
    validateResultFile(json)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'string') throw error
    const field = (error as { details?: { field?: unknown } }).details?.field
    throw new ReportError(
      code === 'UNSUPPORTED_FORMAT_VERSION' ? 'UNSUPPORTED_FORMAT_VERSION' : 'INVALID_RESULT',
      `Cannot read ${source}: ${(error as Error).message.replace(/^Invalid result file: /, '')}`,
      { cause: error, details: { path: source, field: typeof field === 'string' ? field : '' } },
    )
  }
  const check = new Checker(source)
  const root = check.object(json, '')
  if (root.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new ReportError(
      'UNSUPPORTED_FORMAT_VERSION',
      `Cannot read ${source}: schemaVersion ${JSON.stringify(root.schemaVersion)} is not ${RESULT_SCHEMA_VERSION}`,
      { details: { path: source } },
    )
  }
  const provenance = check.object(root.provenance, 'provenance')
  for (const name of ['gitCommit', 'startedAt', 'hostname', 'platform', 'cpuModel', 'nodeVersion', 'preset', 'suite', 'source']) {
    check.string(provenance[name], `provenance.${name}`)
  }
  for (const name of ['cpuCount', 'memoryBytes', 'seed']) check.number(provenance[name], `provenance.${name}`)
  check.boolean(provenance.gitDirty, 'provenance.gitDirty')
  check.object(provenance.packageVersions, 'provenance.packageVersions')
  if (Number.isNaN(Date.parse(provenance.startedAt as string))) check.fail('provenance.startedAt', 'is not an ISO 8601 date')
  const workloads = check.array(root.workloads, 'workloads')
  workloads.forEach((workload, workloadIndex) => checkWorkload(check, workload, `workloads[${workloadIndex}]`))
  return json as ResultFile
}

function checkWorkload(check: Checker, value: unknown, where: string): void {
  const workload = check.object(value, where)
  check.string(workload.workload, `${where}.workload`)
  check.string(workload.baselineEngine, `${where}.baselineEngine`)
  check.object(workload.parameters, `${where}.parameters`)
  const engines = check.array(workload.engines, `${where}.engines`)
  engines.forEach((engineValue, engineIndex) => {
    const at = `${where}.engines[${engineIndex}]`
    const engine = check.object(engineValue, at)
    check.string(engine.engine, `${at}.engine`)
    check.nonNegative(engine.opsPerSecond, `${at}.opsPerSecond`)
    const spread = check.object(engine.opsPerSecondSpread, `${at}.opsPerSecondSpread`)
    for (const name of ['min', 'max', 'stddev']) check.nonNegative(spread[name], `${at}.opsPerSecondSpread.${name}`)
    check.array(engine.repetitions, `${at}.repetitions`).forEach((r, i) => check.nonNegative(r, `${at}.repetitions[${i}]`))
    const latency = check.object(engine.latencyUs, `${at}.latencyUs`)
    for (const name of ['p50', 'p95', 'p99', 'p999', 'max', 'mean', 'count']) check.nonNegative(latency[name], `${at}.latencyUs.${name}`)
    const storage = check.object(engine.storage, `${at}.storage`)
    for (const name of ['userBytesWritten', 'diskBytesWritten', 'diskBytesRead', 'directoryBytes', 'writeAmplification', 'readAmplification', 'spaceAmplification']) {
      check.nonNegative(storage[name], `${at}.storage.${name}`)
    }
    if (engine.ratioToBaseline !== null) check.nonNegative(engine.ratioToBaseline, `${at}.ratioToBaseline`)
    check.boolean(engine.parityWithBaseline, `${at}.parityWithBaseline`)
    check.array(engine.parityDifferences, `${at}.parityDifferences`).forEach((d, i) => check.string(d, `${at}.parityDifferences[${i}]`))
    check.array(engine.notes, `${at}.notes`).forEach((d, i) => check.string(d, `${at}.notes[${i}]`))
    check.object(engine.options, `${at}.options`)
  })
}

/** Field checks that throw INVALID_RESULT naming the field path. */
class Checker {
  readonly #source: string
  constructor(source: string) {
    this.#source = source
  }
  fail(where: string, problem: string): never {
    throw new ReportError('INVALID_RESULT', `Cannot read ${this.#source}: ${where || 'the document'} ${problem}`, {
      details: { path: this.#source, field: where },
    })
  }
  object(value: unknown, where: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(where, 'is not an object')
    return value as Record<string, unknown>
  }
  array(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) this.fail(where, 'is not an array')
    return value
  }
  string(value: unknown, where: string): void {
    if (typeof value !== 'string') this.fail(where, 'is not a string')
  }
  boolean(value: unknown, where: string): void {
    if (typeof value !== 'boolean') this.fail(where, 'is not a boolean')
  }
  number(value: unknown, where: string): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(where, 'is not a finite number')
  }
  nonNegative(value: unknown, where: string): void {
    this.number(value, where)
    if ((value as number) < 0) this.fail(where, 'is negative')
  }
}
