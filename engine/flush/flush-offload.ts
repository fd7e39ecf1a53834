/**
 * FlushOffload: the main-thread side of the flush worker. Starts one worker lazily, sends it a
 * job per frozen memtable and returns the table it wrote. Measured effect (commit message of
 * this file): the table build (~1.5–2 µs per entry) leaves the write path.
 *
 * When the worker fails (cannot start, or a job errors) the caller falls back to flushing on the
 * main thread; a failed worker is not used again by this database.
 */
import { Worker } from 'node:worker_threads'
import type { FlushJobRequest, FlushJobResult } from './flush-job.ts'
import { transferList } from './frozen-entries.ts'

export class FlushOffload {
  #worker: Worker | undefined
  #failed = false
  #nextJobId = 1
  readonly #pending = new Map<number, (result: FlushJobResult) => void>()

  /** False once the worker failed; callers then flush in-process. */
  get usable(): boolean {
    return !this.#failed
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker
    const worker = new Worker(new URL('./flush-worker-entry.mjs', import.meta.url))
    worker.unref()
    worker.on('message', (result: FlushJobResult) => {
      const resolve = this.#pending.get(result.jobId)
      this.#pending.delete(result.jobId)
      resolve?.(result)
    })
    const fail = (message: string): void => {
      this.#failed = true
      this.#worker = undefined
      for (const [jobId, resolve] of this.#pending) resolve({ jobId, error: { message } })
      this.#pending.clear()
    }
    worker.on('error', (error) => fail(`flush worker failed: ${error.message}`))
    worker.on('exit', (code) => {
      if (this.#pending.size > 0 || code !== 0) fail(`flush worker exited with code ${code}`)
    })
    this.#worker = worker
    return worker
  }

  /**
   * Starts the worker now, so its start-up (loading the table code under tsx, ~0.3 s) overlaps
   * the first memtable filling up instead of delaying the first flush.
   */
  prewarm(): void {
    if (this.#failed || this.#worker !== undefined) return
    try {
      this.#start().unref()
    } catch {
      this.#failed = true
    }
  }

  /** Runs one flush job in the worker. Resolves with the worker's result (which may hold an error). */
  run(job: Omit<FlushJobRequest, 'jobId'>): Promise<FlushJobResult> {
    const jobId = this.#nextJobId++
    return new Promise((resolve) => {
      this.#pending.set(jobId, resolve)
      try {
        const worker = this.#start()
        worker.ref()
        worker.postMessage({ ...job, jobId } satisfies FlushJobRequest, transferList(job.entries))
      } catch (error) {
        this.#failed = true
        this.#pending.delete(jobId)
        resolve({ jobId, error: { message: `flush worker could not start: ${String(error)}` } })
      }
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker?.unref()
    }) as Promise<FlushJobResult>
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    const worker = this.#worker
    this.#worker = undefined
    if (worker !== undefined) await worker.terminate()
  }
}
