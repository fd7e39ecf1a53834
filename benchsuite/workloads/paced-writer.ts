/**
 * The background writer of readwhilewriting: batches of overwrites issued at a fixed rate of user
 * bytes per second (db_bench's `--benchmark_write_rate_limit`), so every engine's readers face the
 * same write load whatever the engine's own write speed. Its batches are generated before the
 * clock starts. One writer per phase: start() once, stop() once, then read its tally.
 */
import assert from 'node:assert/strict'
import type { EngineSession, WriteEntry } from '../engines/adapter.ts'
import type { Dataset } from './context.ts'
import type { WriterFigures } from '../result/schema.ts'

/**
 * Bounds the pre-generated batches; past them the writer rewrites the same batches from the first
 * (still real overwrites for every engine). They are made inside the measured phase's RSS window,
 * so a bound keeps them a small, equal share of every engine's peak RSS: 4 s of the default rate.
 */
export const PACED_WRITER_RING_BYTES_MAX = 8 * 1024 * 1024
/** The writer's pre-generated seconds of writes when the phase has no duration limit. */
export const PACED_WRITER_RING_SECONDS_DEFAULT = 10

/** What the writer did, for the result file (its WriterFigures but the rate over the readers' span). */
export type WriterTally = Omit<WriterFigures, 'opsPerSecond'>

export interface PacedWriterOptions {
  rateLimitBytesPerSecond: number
  /** Seconds of writes to pre-generate (the phase's expected length); capped by PACED_WRITER_RING_BYTES_MAX. */
  ringSeconds: number
  /** The ring holds at least this many batches. */
  ringBatchCountMin: number
}

export class PacedWriter {
  readonly #session: EngineSession
  readonly #ring: WriteEntry[][] = []
  readonly #ringBytes: number[] = []
  readonly #rateLimitBytesPerSecond: number
  #batchCount = 0
  #operationCount = 0
  #userBytesWritten = 0
  #scheduledBytes = 0
  #startMs = 0
  #stopped = false
  #wake: (() => void) | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined

  /** Generates the writer's batches (uniform random keys of [0, keyCount), version 1): call before the clock starts. */
  constructor(session: EngineSession, dataset: Dataset, options: PacedWriterOptions) {
    assert(options.rateLimitBytesPerSecond > 0, 'the CLI admits only a positive write rate')
    this.#session = session
    this.#rateLimitBytesPerSecond = options.rateLimitBytesPerSecond
    const { keyCount, batchSize } = dataset.parameters
    const chooser = dataset.chooser({ kind: 'uniform' }, keyCount, 'readwhilewriting:writer')
    const sizer = dataset.sizer('readwhilewriting:writer')
    const ringBytesTarget = Math.min(PACED_WRITER_RING_BYTES_MAX, options.rateLimitBytesPerSecond * options.ringSeconds)
    let ringBytes = 0
    while (this.#ring.length < options.ringBatchCountMin || ringBytes < ringBytesTarget) {
      const batch = Array.from({ length: batchSize }, () => dataset.entry(chooser.next(), sizer.next(), 1))
      const bytes = batch.reduce((sum, entry) => sum + entry.key.length + entry.value.length, 0)
      this.#ring.push(batch)
      this.#ringBytes.push(bytes)
      ringBytes += bytes
    }
  }

  get batchesDone(): number {
    return this.#batchCount
  }

  /**
   * Starts writing: batch n is issued once the batches before it, at the rate, have had their time
   * (a token bucket with no burst); a writer behind its schedule issues each batch at the event
   * loop's next turn until it catches up.
   */
  start(): void {
    this.#startMs = performance.now()
    this.#running = this.#run()
  }

  /** Stops issuing (a batch in flight completes and counts) and returns the tally. */
  async stop(): Promise<WriterTally> {
    assert(this.#running !== undefined, 'stop() after start()')
    this.#stopped = true
    const elapsedMs = performance.now() - this.#startMs
    clearTimeout(this.#timer)
    this.#wake?.()
    await this.#running
    let batchesDueCount = 0
    for (let dueBytes = 0; (dueBytes / this.#rateLimitBytesPerSecond) * 1000 <= elapsedMs; batchesDueCount++) {
      dueBytes += this.#ringBytes[batchesDueCount % this.#ringBytes.length]
    }
    return {
      batchCount: this.#batchCount,
      operationCount: this.#operationCount,
      userBytesWritten: this.#userBytesWritten,
      batchesDueCount,
      rateLimitBytesPerSecond: this.#rateLimitBytesPerSecond,
    }
  }

  async #run(): Promise<void> {
    for (let index = 0; !this.#stopped; index++) {
      const dueMs = this.#startMs + (this.#scheduledBytes / this.#rateLimitBytesPerSecond) * 1000
      let waitMs = dueMs - performance.now()
      // Even a writer behind its schedule waits for the event loop's next turn: on an engine whose
      // putBatch resolves through microtasks only, back-to-back batches would otherwise never let
      // anything else run (a test's writer above its engine's speed ran out of memory that way).
      // The first batch so runs inside the readers' span, not synchronously before their first read.
      if (waitMs <= 0) await new Promise((resolve) => setImmediate(resolve))
      // A timer counts from libuv's cached loop clock (whole ms, taken when the turn began, before
      // the reads since), so it can fire before performance.now() reaches the due time: a run
      // showed 64 batches done of 63 due. Sleep again until due.
      while (waitMs > 0 && !this.#stopped) {
        await this.#sleep(waitMs)
        waitMs = dueMs - performance.now()
      }
      if (this.#stopped) break
      const batch = this.#ring[index % this.#ring.length]
      const bytes = this.#ringBytes[index % this.#ring.length]
      this.#scheduledBytes += bytes
      await this.#session.putBatch(batch)
      this.#batchCount++
      this.#operationCount += batch.length
      this.#userBytesWritten += bytes
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve
      this.#timer = setTimeout(resolve, ms)
    })
  }
}
