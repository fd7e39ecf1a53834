/**
 * BackgroundWorker: a database's handle on the background worker thread, which runs flushes and
 * compactions. The thread is the process's, shared by every open database
 * (shared-background-thread.ts); this handle joins it lazily (prewarm() when the first memtable
 * is half full, so a start-up overlaps the fill, or the first job), registers the store's
 * settings with it before its first job, and leaves it at close(). A job error comes back as the
 * StrataError the worker threw, to this store only; a thread that cannot start or dies makes
 * the jobs out in it resolve undefined, and the database does that work on its main thread (the
 * memtable and the compaction's inputs are still there, so nothing is lost); its next job joins a
 * new thread, unless the process saw too many fail (THREAD_FAILURE_COUNT_MAX): then `usable` is
 * false and the database works on its main thread from then on. As it
 * starts, the thread warms its JIT on synthetic data in memory (jit-warm-up.ts) until the first
 * job of any store arrives; `warmUp` follows that.
 */
import { SharedBackgroundThread, type JobRequest } from './shared-background-thread.ts'
import type { WalFlushJob, WalFlushResult } from './wal-flush.ts'
import type { CompactionJob } from '../compaction/compact-tables.ts'
import type { FileCompactionResult } from '../compaction/compact-from-files.ts'
import type { BackgroundWorkerSettings } from './background-worker-protocol.ts'
import type { RepairEvent } from '../transform/mod.ts'

/** Unique in the process: the thread keeps each store's settings under it. */
let nextStoreId = 1

export class BackgroundWorker {
  readonly #settings: BackgroundWorkerSettings
  readonly #storeId = nextStoreId++
  /** The thread this store joined, on its first use; replaced by a new one at the next use after it failed. */
  #thread: SharedBackgroundThread | undefined
  /** The leave close() started, which every call of close() returns. */
  #closing: Promise<void> | undefined
  readonly #onRepair: (event: RepairEvent) => void

  /** `onRepair` hears of the ECC repairs a job's reads made, before the job resolves. */
  constructor(settings: BackgroundWorkerSettings, onRepair: (event: RepairEvent) => void = () => undefined) {
    this.#settings = settings
    this.#onRepair = onRepair
  }

  /** False once closed, or once its thread failed and no new one may start: callers flush on the main thread. */
  get usable(): boolean {
    return this.#closing === undefined && (this.#thread?.usable === true || SharedBackgroundThread.joinable)
  }

  /**
   * The JIT warm-up of the thread this store's jobs run in: rounds done, and whether it ended
   * (or this store can no longer use the thread). Nothing yet before the store joined one.
   */
  get warmUp(): { roundCount: number; ended: boolean } {
    const warmUp = this.#thread?.warmUp ?? { roundCount: 0, ended: false }
    return { ...warmUp, ended: warmUp.ended || !this.usable }
  }

  /** Joins the thread now (starting it if the process has none), so a start-up does not delay the first flush. */
  prewarm(): void {
    this.#join()
  }

  #join(): SharedBackgroundThread | undefined {
    if (this.#closing !== undefined) return undefined
    if (this.#thread?.usable !== true) this.#thread = SharedBackgroundThread.join(this.#storeId, this.#settings)
    return this.#thread
  }

  /**
   * Runs one flush in the worker. Resolves with its result, or undefined when the worker is
   * unusable (the caller flushes on its own thread); rejects with the job's StrataError.
   */
  async run(job: WalFlushJob): Promise<WalFlushResult | undefined> {
    return (await this.#submit({ job })) as WalFlushResult | undefined
  }

  /**
   * Runs one compaction in the worker, each output numbered by `outputFileNumber()`, which the
   * worker calls (through a message) as the output starts. Resolves and rejects as run() does.
   */
  async compact(job: CompactionJob, outputFileNumber: () => number): Promise<FileCompactionResult | undefined> {
    return (await this.#submit({ compaction: job }, outputFileNumber)) as FileCompactionResult | undefined
  }

  async #submit(request: JobRequest, outputFileNumber?: () => number): Promise<WalFlushResult | FileCompactionResult | undefined> {
    return this.#join()?.submit(this.#storeId, request, this.#onRepair, outputFileNumber)
  }

  /**
   * Leaves the thread: a job of this store still out resolves undefined, as if the thread had
   * died; resolves once the thread holds none of this store's jobs or keys. The last store to
   * leave stops the thread; other stores' jobs go on. A thread that does not answer within
   * `acknowledgementWaitMs` (default LEAVE_ACKNOWLEDGEMENT_WAIT_MS) is failed: terminated, and
   * the other stores' jobs out in it resolve undefined. A second call returns the first's promise.
   */
  close(acknowledgementWaitMs?: number): Promise<void> {
    this.#closing ??= this.#thread?.leave(this.#storeId, acknowledgementWaitMs) ?? Promise.resolve()
    return this.#closing
  }
}
