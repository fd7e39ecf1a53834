/**
 * What a workload runs with: the open engine, the seeded inputs, and the meter that times every
 * operation. Workloads are engine-agnostic: they see EngineSession only.
 */
import type { KeyChooser, KeyOrderSpec, ValueSizer, ValueSource } from '../../datasets/mod.ts'
import { createKeyChooser, createValueSizer, createValueSource, encodeKey, Prng, valueHeaderIndex } from '../../datasets/mod.ts'
import type { EngineSession, WriteEntry } from '../engines/adapter.ts'
import type { CallTiming, WriterFigures } from '../result/schema.ts'
import { LatencyHistogram } from '../measure/histogram.ts'
import type { WorkloadParameters } from './parameters.ts'

/** The seeded inputs of one workload: identical for every engine. */
export class Dataset {
  readonly parameters: WorkloadParameters
  readonly values: ValueSource
  readonly #label: string
  /**
   * Milliseconds spent generating values. The runner subtracts it from a cell's wall time: the
   * generator is the same for every engine, and counting it would shrink every ratio towards 1
   * (it was ~7% of a 200k-key fillrandom profile and more of the faster engines' time).
   */
  generationMs = 0

  constructor(parameters: WorkloadParameters, label: string) {
    this.parameters = parameters
    this.#label = label
    this.values = createValueSource(parameters.valueContent, parameters.seed)
  }

  key(index: number): Uint8Array {
    return encodeKey(index, this.parameters.keySizeBytes)
  }

  /** An independent random stream for `purpose`, the same for every engine. */
  prng(purpose: string): Prng {
    return Prng.derive(this.parameters.seed, `${this.#label}:${purpose}`)
  }

  sizer(purpose: string): ValueSizer {
    return createValueSizer(this.parameters.valueSize, this.prng(`sizes:${purpose}`))
  }

  chooser(spec: KeyOrderSpec, keyCount: number, purpose: string, liveCount?: () => number): KeyChooser {
    return createKeyChooser(spec, { keyCount, prng: this.prng(`order:${purpose}`), liveCount })
  }

  entry(index: number, sizeBytes: number, version = 0): WriteEntry {
    const startMs = performance.now()
    const entry = { key: this.key(index), value: this.values.value(index, sizeBytes, version) }
    this.generationMs += performance.now() - startMs
    return entry
  }
}

/** True when `value` is the value a workload wrote for key `index` (header check). */
export function valueMatches(value: Uint8Array | undefined, index: number): boolean {
  if (value === undefined) return false
  const header = valueHeaderIndex(value)
  return header === undefined || header === index
}

/**
 * Times operations into one histogram and reports progress. The measured span runs from the start
 * of the first timed operation to the end of the last, so a workload's planning (drawing keys,
 * building a YCSB plan) and its result check after the run are not in anyone's ops/s.
 * With `durationSeconds` > 0 (db_bench's `--duration`) `expired()` turns true that long after the
 * first operation started; workloads then stop issuing operations and count what they did.
 * `excludedMs` (a running total, e.g. Dataset.generationMs) is time inside the span that is the
 * harness's, not the engine's: the span leaves out what it grew by between the first operation's
 * start and the last one's end.
 */
export class OperationMeter {
  readonly histogram = new LatencyHistogram()
  /** Calls timed by timeCall(), by name, in first-call order. */
  readonly callTimings = new Map<string, CallTiming>()
  done = 0
  readonly total: number
  readonly durationSeconds: number
  readonly #excludedMs: () => number
  #firstStartMs: number | undefined
  #lastEndMs: number | undefined
  #excludedAtFirstStartMs = 0
  #excludedAtLastEndMs = 0

  constructor(total: number, durationSeconds = 0, excludedMs: () => number = () => 0) {
    this.total = total
    this.durationSeconds = durationSeconds
    this.#excludedMs = excludedMs
  }

  /** Runs `operation`, records its latency, and counts `count` operations done. */
  async time<T>(operation: () => Promise<T>, count = 1): Promise<T> {
    const start = this.#begin()
    const result = await operation()
    this.histogram.recordNs((this.#end() - start) * 1e6)
    this.done += count
    return result
  }

  /**
   * Runs `operation` inside the measured span but outside the histogram, tallied under `call`
   * (`callTimings`): a flush or a full compaction is not one more sample of the batch latency it
   * would otherwise sit among (the compaction workload's p99 was partly its 5 flush and compact calls).
   */
  async timeCall<T>(call: string, operation: () => Promise<T>): Promise<T> {
    const start = this.#begin()
    const result = await operation()
    const elapsedMs = this.#end() - start
    const timing = this.callTimings.get(call) ?? { call, count: 0, totalMs: 0, maxMs: 0 }
    timing.count++
    timing.totalMs += elapsedMs
    timing.maxMs = Math.max(timing.maxMs, elapsedMs)
    this.callTimings.set(call, timing)
    return result
  }

  #begin(): number {
    const start = performance.now()
    if (this.#firstStartMs === undefined) {
      this.#firstStartMs = start
      this.#excludedAtFirstStartMs = this.#excludedMs()
    }
    return start
  }

  #end(): number {
    const end = performance.now()
    this.#lastEndMs = end
    this.#excludedAtLastEndMs = this.#excludedMs()
    return end
  }

  /** True once the duration limit (if any) has passed since the first operation started. */
  expired(): boolean {
    return this.durationSeconds > 0 && this.#firstStartMs !== undefined && performance.now() - this.#firstStartMs >= this.durationSeconds * 1000
  }

  /** Milliseconds from the first operation's start to the last one's end, less excluded time (0 before any). */
  get spanMs(): number {
    if (this.#firstStartMs === undefined || this.#lastEndMs === undefined) return 0
    return Math.max(0, this.#lastEndMs - this.#firstStartMs - (this.#excludedAtLastEndMs - this.#excludedAtFirstStartMs))
  }

  /** Milliseconds since the first operation started (for progress), 0 before it. */
  elapsedMs(): number {
    return this.#firstStartMs === undefined ? 0 : performance.now() - this.#firstStartMs
  }

  /** Fraction of the planned work done, counting the duration limit when it comes first. */
  fractionDone(): number {
    const byCount = this.total > 0 ? this.done / this.total : 0
    const byTime = this.durationSeconds > 0 ? this.elapsedMs() / (this.durationSeconds * 1000) : 0
    return Math.min(1, Math.max(byCount, byTime))
  }
}

export interface WorkloadContext {
  session: EngineSession
  dataset: Dataset
  meter: OperationMeter
  parameters: WorkloadParameters
}

/** What a workload reports; the runner adds time, I/O, CPU and memory around it. */
export interface WorkloadOutcome {
  operationCount: number
  userBytesWritten: number
  userBytesRead: number
  /** Key + value bytes live at the end (for space amplification). */
  liveUserBytes: number
  /** The workload's own check of its results; a failed check fails the cell. */
  check: { ok: boolean; message: string }
  /** readwhilewriting's background writer. */
  writer?: WriterFigures
}

/** A check-message suffix when the duration limit cut the plan short. */
export function stoppedEarly(done: number, planned: number): string {
  return done < planned ? ` (duration limit: ${done} of ${planned} planned operations)` : ''
}

/**
 * Runs up to `total` operations over `clients` concurrent loops; `operation(i)` gets each index
 * once, in increasing order of issue (so whatever an operation draws synchronously before its first
 * await is drawn in index order, whatever the interleaving). Stops issuing once `meter` has
 * expired. Returns how many operations were issued (all of them completed): a prefix of the plan.
 */
export async function runClients(clients: number, total: number, operation: (index: number) => Promise<void>, meter?: OperationMeter): Promise<number> {
  let next = 0
  const loop = async (): Promise<void> => {
    while (next < total && meter?.expired() !== true) await operation(next++)
  }
  await Promise.all(Array.from({ length: Math.max(1, clients) }, loop))
  return next
}
