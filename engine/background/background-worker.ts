/**
 * BackgroundWorker: the database's side of its background worker thread, which runs flushes and
 * compactions. One worker per database, started lazily (prewarm() when the first memtable is
 * half full, so its start-up overlaps the fill) and kept until close(). A job error comes back
 * as the StrataError the worker threw; a worker that cannot start or dies makes run() and
 * compact() resolve undefined, and the database does that work on its main thread from then on
 * (the memtable and the compaction's inputs are still there, so nothing is lost). As it starts,
 * the worker warms its JIT on synthetic data in memory (jit-warm-up.ts) until the first job
 * arrives; `warmUp` follows that.
 */
import { Worker } from 'node:worker_threads'
import { StrataError } from '../errors.ts'
import { backgroundWorkerEntry } from './worker-bundle.ts'
import type { WalFlushJob, WalFlushResult } from './wal-flush.ts'
import type { CompactionJob } from '../compaction/compact-tables.ts'
import type { FileCompactionResult } from '../compaction/compact-from-files.ts'
import type { BackgroundWorkerReply, BackgroundWorkerRequest, BackgroundWorkerSettings } from './background-worker-protocol.ts'
import type { RepairEvent } from '../transform/mod.ts'

interface PendingJob {
  resolve(result: WalFlushResult | FileCompactionResult | undefined): void
  reject(error: StrataError): void
  /** A compaction's source of output file numbers. */
  outputFileNumber?: () => number
}

export class BackgroundWorker {
  readonly #settings: BackgroundWorkerSettings
  #worker: Worker | undefined
  /** The start of the worker (building its entry first), once asked for. */
  #starting: Promise<Worker | undefined> | undefined
  /** Why the worker is unusable (it failed to start or died); undefined while usable. */
  #failure: string | undefined
  #nextJobId = 1
  readonly #pending = new Map<number, PendingJob>()
  #warmUpRoundCount = 0
  #warmUpEnded = false

  readonly #onRepair: (event: RepairEvent) => void

  /** `onRepair` hears of the ECC repairs a job's reads made, before the job resolves. */
  constructor(settings: BackgroundWorkerSettings, onRepair: (event: RepairEvent) => void = () => undefined) {
    this.#settings = settings
    this.#onRepair = onRepair
  }

  /** False once the worker failed: callers flush on the main thread. */
  get usable(): boolean {
    return this.#failure === undefined
  }

  /** The worker's JIT warm-up so far: rounds done, and whether it ended (or the worker is gone). */
  get warmUp(): { roundCount: number; ended: boolean } {
    return { roundCount: this.#warmUpRoundCount, ended: this.#warmUpEnded || this.#failure !== undefined }
  }

  /** Starts the worker now (idempotent), so its start-up does not delay the first flush. */
  prewarm(): void {
    if (this.#failure === undefined) void this.#start()
  }

  #start(): Promise<Worker | undefined> {
    this.#starting ??= backgroundWorkerEntry().then((entry) => {
      if (this.#failure !== undefined) return undefined
      let worker: Worker
      try {
        // No inherited flags: `--import tsx` would load tsx into the worker for nothing (the
        // bundle is plain JavaScript; the tsx entry registers tsx itself).
        worker = new Worker(entry, { workerData: this.#settings, execArgv: [] })
      } catch (error) {
        this.#fail(`background worker could not start: ${String(error)}`)
        return undefined
      }
      // Idle, the worker must not keep the process alive; run() refs it while a job is out.
      worker.unref()
      worker.on('message', (reply: BackgroundWorkerReply) => this.#settle(reply))
      worker.on('error', (error) => this.#fail(`background worker failed: ${error.message}`))
      worker.on('exit', (code) => {
        if (this.#worker === worker) this.#fail(`background worker exited with code ${code}`)
      })
      this.#worker = worker
      return worker
    })
    return this.#starting
  }

  #settle(reply: BackgroundWorkerReply): void {
    if ('warmUpRoundCount' in reply) {
      this.#warmUpRoundCount = reply.warmUpRoundCount
      this.#warmUpEnded = reply.warmUpEnded
      return
    }
    const pending = this.#pending.get(reply.jobId)
    if (pending === undefined) return
    if ('outputFileNumberWanted' in reply) {
      this.#worker?.postMessage({ jobId: reply.jobId, outputFileNumber: pending.outputFileNumber!() } satisfies BackgroundWorkerRequest)
      return
    }
    this.#pending.delete(reply.jobId)
    if (this.#pending.size === 0) this.#worker?.unref()
    if ('result' in reply) {
      for (const event of reply.repairs) this.#onRepair(event)
      pending.resolve(reply.result)
    } else {
      const { code, message, details } = reply.error
      pending.reject(new StrataError(code ?? 'IO_ERROR', code === undefined ? `Background worker failed: ${message}` : message, { details }))
    }
  }

  #fail(reason: string): void {
    this.#failure ??= reason
    const worker = this.#worker
    this.#worker = undefined
    void worker?.terminate()
    for (const pending of this.#pending.values()) pending.resolve(undefined)
    this.#pending.clear()
  }

  /**
   * Runs one flush in the worker. Resolves with its result, or undefined when the worker is
   * unusable (the caller flushes on its own thread); rejects with the job's StrataError.
   */
  async run(job: WalFlushJob): Promise<WalFlushResult | undefined> {
    return (await this.#submit((jobId) => ({ jobId, job }))) as WalFlushResult | undefined
  }

  /**
   * Runs one compaction in the worker, each output numbered by `outputFileNumber()`, which the
   * worker calls (through a message) as the output starts. Resolves and rejects as run() does.
   */
  async compact(job: CompactionJob, outputFileNumber: () => number): Promise<FileCompactionResult | undefined> {
    return (await this.#submit((jobId) => ({ jobId, compaction: job }), outputFileNumber)) as FileCompactionResult | undefined
  }

  async #submit(request: (jobId: number) => BackgroundWorkerRequest, outputFileNumber?: () => number): Promise<WalFlushResult | FileCompactionResult | undefined> {
    const worker = this.#failure === undefined ? await this.#start() : undefined
    if (worker === undefined || this.#worker !== worker) return undefined
    const jobId = this.#nextJobId++
    return new Promise((resolve, reject) => {
      this.#pending.set(jobId, { resolve, reject, outputFileNumber })
      worker.ref()
      worker.postMessage(request(jobId))
    })
  }

  /** Stops the worker; a job still out resolves undefined, as if the worker had died. */
  async close(): Promise<void> {
    this.#failure ??= 'closed'
    // A start in progress sees the failure and starts nothing.
    await this.#starting
    const worker = this.#worker
    this.#fail('closed')
    await worker?.terminate()
  }
}
