/**
 * The process's background worker thread (background-worker-thread.ts), shared by every open
 * database: each store's BackgroundWorker (background-worker.ts) joins it, registers its
 * settings with it before its first job, and leaves it at close. A thread costs ~0.2 s of CPU
 * to its first job, a JIT warm-up of up to 2 s, and its heap (RSS up ~90 MiB with the warm-up);
 * one per process pays that once however many stores are open: four stores' fills took
 * 0.54–0.57x the CPU and 0.72–0.79x the peak RSS of a thread per store (README,
 * `scripts/shared-worker-cost.ts`).
 *
 * Lifetime: started by the first store that needs it, stopped when the last store that joined it
 * leaves. Stopped rather than kept: a process that closed every store gets the thread's memory
 * back, and a store opened later pays one start, as each store did before the thread was shared.
 * While no job is out the thread is unref'd, so a store never closed does not keep the process
 * alive. A thread that fails to start or dies is no longer the process's thread: the jobs out in
 * it resolve undefined (their stores do that work on their main threads), and the next job of
 * any store starts a new thread, which every store joins again, up to THREAD_FAILURE_COUNT_MAX
 * failed threads in the process; from then on no thread starts and every store works on its main
 * thread.
 */
import { Worker } from 'node:worker_threads'
import { StrataError } from '../errors.ts'
import { backgroundWorkerEntry } from './worker-bundle.ts'
import { warmUpSettings } from './jit-warm-up.ts'
import type { WalFlushJob, WalFlushResult } from './wal-flush.ts'
import type { CompactionJob } from '../compaction/compact-tables.ts'
import type { FileCompactionResult } from '../compaction/compact-from-files.ts'
import type { BackgroundWorkerReply, BackgroundWorkerRequest, BackgroundWorkerSettings } from './background-worker-protocol.ts'
import type { RepairEvent } from '../transform/mod.ts'

type JobResult = WalFlushResult | FileCompactionResult

/** What a job's request carries besides its ids. */
export type JobRequest = { job: WalFlushJob } | { compaction: CompactionJob }

interface PendingJob {
  storeId: number
  resolve(result: JobResult | undefined): void
  reject(error: StrataError): void
  onRepair(event: RepairEvent): void
  /** A compaction's source of output file numbers. */
  outputFileNumber?: () => number
}

/** A store that joined: its settings, sent to the thread before its first job. */
interface Member {
  settings: BackgroundWorkerSettings
  registered: boolean
}

/** The process's thread while it is usable; undefined before the first join and after it stops. */
let current: SharedBackgroundThread | undefined

/**
 * Threads that may fail (refuse to start or die) in one process before no new one starts. A job
 * that crashes the thread every time (a bug of ours, the thread running out of memory) would
 * otherwise start a thread, kill it and redo the work on the main thread for every job of every
 * store, each start paying ~0.2 s of CPU and a warm-up: with a bound, one or two crashes cost
 * their jobs' main-thread work and a restart, and a crash loop ends after three.
 */
export const THREAD_FAILURE_COUNT_MAX = 3
/**
 * How long a store's leave waits for the thread to say it dropped the store's settings. The
 * answer comes once the store's jobs in the thread ended (Db.close() waits for its own jobs
 * first, so usually at once) and the thread's event loop is free, which another store's flush
 * holds while it reads, replays and sorts its log with no slicing: a whole 32 MiB flush (the
 * default memtable) took ~1 s on this machine, so 30 s leaves room for memtables near 1 GiB. A
 * thread that does not answer by then is taken for stuck and failed (terminated, its keys gone
 * with it), so that close() cannot wait forever.
 */
export const LEAVE_ACKNOWLEDGEMENT_WAIT_MS = 30_000

/** Threads of this process that refused to start, died or got stuck (a stopped thread is not counted). */
let threadFailureCount = 0

/** Test-only: forgets the threads that failed, so that each test starts with the whole budget. */
export function forgetThreadFailures(): void {
  threadFailureCount = 0
}

export class SharedBackgroundThread {
  #worker: Worker | undefined
  /** The start of the thread (building its entry first). */
  readonly #started: Promise<Worker | undefined>
  /** Why the thread is unusable (it failed to start, died, or stopped); undefined while usable. */
  #failure: string | undefined
  /** Unique across stores, so that each reply reaches the store whose job it answers. */
  #nextJobId = 1
  readonly #pending = new Map<number, PendingJob>()
  readonly #members = new Map<number, Member>()
  /** Jobs of stores that left while the jobs ran: a compaction's ask for a file number is refused. */
  readonly #abandoned = new Set<number>()
  /** Stores leaving, waiting for the thread to drop their settings once their jobs ended. */
  readonly #leaving = new Map<number, () => void>()
  #warmUpRoundCount = 0
  #warmUpEnded = false

  /** True while a store can join a thread: the process has one, or may start one. */
  static get joinable(): boolean {
    return current !== undefined || threadFailureCount < THREAD_FAILURE_COUNT_MAX
  }

  /**
   * The process's thread, started now if there is none (or the last one failed or stopped),
   * with `storeId` a member; undefined when none may start (THREAD_FAILURE_COUNT_MAX). A new
   * thread's JIT warm-up uses `settings`, a store's (with its keys swapped for a throwaway one
   * before they cross: jit-warm-up.ts).
   */
  static join(storeId: number, settings: BackgroundWorkerSettings): SharedBackgroundThread | undefined {
    if (!SharedBackgroundThread.joinable) return undefined
    current ??= new SharedBackgroundThread(settings)
    current.#members.set(storeId, { settings, registered: false })
    return current
  }

  private constructor(warmUpFrom: BackgroundWorkerSettings) {
    this.#started = this.#start(warmUpFrom)
  }

  async #start(warmUpFrom: BackgroundWorkerSettings): Promise<Worker | undefined> {
    const entry = await backgroundWorkerEntry()
    if (this.#failure !== undefined) return undefined
    let worker: Worker
    try {
      // No inherited flags: `--import tsx` would load tsx into the worker for nothing (the
      // bundle is plain JavaScript; the tsx entry registers tsx itself).
      worker = new Worker(entry, { workerData: warmUpSettings(warmUpFrom), execArgv: [] })
    } catch (error) {
      this.#fail(`background worker could not start: ${String(error)}`)
      return undefined
    }
    worker.unref()
    worker.on('message', (reply: BackgroundWorkerReply) => this.#settle(reply))
    worker.on('error', (error) => this.#fail(`background worker failed: ${error.message}`))
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#fail(`background worker exited with code ${code}`)
    })
    this.#worker = worker
    return worker
  }

  /** False once the thread failed or stopped: its members join a new one, or work on their own threads. */
  get usable(): boolean {
    return this.#failure === undefined
  }

  /** The thread's JIT warm-up so far: rounds done, and whether it ended (or the thread is gone). */
  get warmUp(): { roundCount: number; ended: boolean } {
    return { roundCount: this.#warmUpRoundCount, ended: this.#warmUpEnded || this.#failure !== undefined }
  }

  /**
   * Runs one job of member `storeId` in the thread. Resolves with its result (`onRepair` first
   * hears of the ECC repairs its reads made), or undefined when the thread is unusable or the
   * store left meanwhile; rejects with the job's StrataError.
   */
  async submit(storeId: number, request: JobRequest, onRepair: (event: RepairEvent) => void, outputFileNumber?: () => number): Promise<JobResult | undefined> {
    const worker = this.#failure === undefined ? await this.#started : undefined
    const member = this.#members.get(storeId)
    if (worker === undefined || this.#worker !== worker || member === undefined) return undefined
    if (!member.registered) {
      member.registered = true
      worker.postMessage({ storeId, settings: member.settings } satisfies BackgroundWorkerRequest)
    }
    const jobId = this.#nextJobId++
    return new Promise((resolve, reject) => {
      this.#pending.set(jobId, { storeId, resolve, reject, onRepair, outputFileNumber })
      this.#refWhileBusy()
      worker.postMessage({ jobId, storeId, ...request } satisfies BackgroundWorkerRequest)
    })
  }

  /**
   * Member `storeId` leaves: its jobs still out resolve undefined now; resolves once the
   * thread holds none of its jobs or settings (the last member stops the thread instead). A
   * thread that does not say so within `acknowledgementWaitMs` fails, as a death would.
   */
  async leave(storeId: number, acknowledgementWaitMs = LEAVE_ACKNOWLEDGEMENT_WAIT_MS): Promise<void> {
    const member = this.#members.get(storeId)
    if (member === undefined) return
    this.#members.delete(storeId)
    for (const [jobId, pending] of this.#pending) {
      if (pending.storeId !== storeId) continue
      this.#pending.delete(jobId)
      this.#abandoned.add(jobId)
      pending.resolve(undefined)
    }
    if (this.#members.size === 0) return this.#stop()
    const worker = this.#worker
    if (!member.registered || worker === undefined) return this.#refWhileBusy()
    const dropped = new Promise<void>((resolve) => this.#leaving.set(storeId, resolve))
    this.#refWhileBusy()
    worker.postMessage({ storeId, unregister: true } satisfies BackgroundWorkerRequest)
    const stuck = setTimeout(() => this.#fail(`background worker did not drop a closed store's settings within ${acknowledgementWaitMs} ms`), acknowledgementWaitMs)
    try {
      await dropped
    } finally {
      clearTimeout(stuck)
    }
  }

  async #stop(): Promise<void> {
    this.#failure ??= 'stopped'
    if (current === this) current = undefined
    // A start in progress sees the failure and starts nothing.
    await this.#started
    const worker = this.#worker
    this.#fail('stopped')
    await worker?.terminate()
  }

  /** Referenced while a job or a store's leave is out: the process waits for those, not for an idle thread. */
  #refWhileBusy(): void {
    if (this.#pending.size + this.#abandoned.size + this.#leaving.size > 0) this.#worker?.ref()
    else this.#worker?.unref()
  }

  #settle(reply: BackgroundWorkerReply): void {
    if ('warmUpRoundCount' in reply) {
      this.#warmUpRoundCount = reply.warmUpRoundCount
      this.#warmUpEnded = reply.warmUpEnded
      return
    }
    if ('storeId' in reply) {
      this.#leaving.get(reply.storeId)?.()
      this.#leaving.delete(reply.storeId)
      return this.#refWhileBusy()
    }
    if ('outputFileNumberWanted' in reply) {
      const pending = this.#pending.get(reply.jobId)
      const answer: BackgroundWorkerRequest = pending === undefined ? { jobId: reply.jobId, outputFileNumberRefused: true } : { jobId: reply.jobId, outputFileNumber: pending.outputFileNumber!() }
      this.#worker?.postMessage(answer)
      return
    }
    const pending = this.#pending.get(reply.jobId)
    this.#pending.delete(reply.jobId)
    this.#abandoned.delete(reply.jobId)
    this.#refWhileBusy()
    if (pending === undefined) return
    if ('result' in reply) {
      for (const event of reply.repairs) pending.onRepair(event)
      pending.resolve(reply.result)
    } else {
      const { code, message, details } = reply.error
      pending.reject(new StrataError(code ?? 'IO_ERROR', code === undefined ? `Background worker failed: ${message}` : message, { details }))
    }
  }

  #fail(reason: string): void {
    // #stop() sets its reason first: a stop is not a failure.
    if (this.#failure === undefined) threadFailureCount++
    this.#failure ??= reason
    if (current === this) current = undefined
    const worker = this.#worker
    this.#worker = undefined
    void worker?.terminate()
    for (const pending of this.#pending.values()) pending.resolve(undefined)
    this.#pending.clear()
    this.#abandoned.clear()
    for (const dropped of this.#leaving.values()) dropped()
    this.#leaving.clear()
  }
}
