/**
 * What a workload runs with: the open engine, the seeded inputs, and the meter that times every
 * operation. Workloads are engine-agnostic: they see EngineSession only.
 */
import type { KeyChooser, KeyOrderSpec, ValueSizer, ValueSource } from '../../datasets/mod.ts'
import { createKeyChooser, createValueSizer, createValueSource, encodeKey, Prng, valueHeaderIndex } from '../../datasets/mod.ts'
import type { EngineSession, WriteEntry } from '../engines/adapter.ts'
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

/** Times operations into one histogram and reports progress. */
export class OperationMeter {
  readonly histogram = new LatencyHistogram()
  done = 0
  readonly total: number

  constructor(total: number) {
    this.total = total
  }

  /** Runs `operation`, records its latency, and counts `count` operations done. */
  async time<T>(operation: () => Promise<T>, count = 1): Promise<T> {
    const start = performance.now()
    const result = await operation()
    this.histogram.recordNs((performance.now() - start) * 1e6)
    this.done += count
    return result
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
}

/**
 * Runs `total` operations over `clients` concurrent loops; `operation(i)` gets each index once.
 * Clients share one counter so the same plan is executed whatever the interleaving.
 */
export async function runClients(clients: number, total: number, operation: (index: number) => Promise<void>): Promise<void> {
  let next = 0
  const loop = async (): Promise<void> => {
    for (let index = next++; index < total; index = next++) await operation(index)
  }
  await Promise.all(Array.from({ length: Math.max(1, clients) }, loop))
}
