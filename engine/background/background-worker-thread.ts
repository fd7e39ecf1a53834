/**
 * The background worker thread, one per process, shared by every database that uses it
 * (shared-background-thread.ts): rebuilds frozen memtables from their logs and writes them as
 * level-0 tables (wal-flush.ts), and runs compactions (compaction/compact-from-files.ts), on the
 * second core. Each store registers its settings before its first job and drops them at its
 * close; they hold the encryption keys when the store is encrypted and are never logged. Jobs of
 * different stores may be in flight at once, so nothing here belongs to "the current job": each
 * job has its own context and its own list of ECC repairs. NodeVfs reads and writes
 * synchronously; what interleaves the jobs are their awaits: the table writing's yield every
 * BACKGROUND_SLICE_MS (8 ms, merge-run.ts), the fdatasync calls (on libuv's thread pool), and a
 * compaction's round trip to the main thread for each output's file number. A flush's reading
 * and replaying of its log, and its sort, run without a break. workerData holds only the warm-up's settings (a throwaway key, jit-warm-up.ts).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { isStrataError, StrataError } from '../errors.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import type { RepairEvent } from '../transform/mod.ts'
import { compactFromFiles } from '../compaction/compact-from-files.ts'
import { flushFromWal } from './wal-flush.ts'
import { warmUpJit } from './jit-warm-up.ts'
import { flushContextOf, type BackgroundWorkerReply, type BackgroundWorkerRequest, type BackgroundWorkerSettings } from './background-worker-protocol.ts'

const port = parentPort!
const vfs = new NodeVfs()

/** A registered store: its settings, and the jobs it has in flight (its drop waits for them). */
interface RegisteredStore {
  settings: BackgroundWorkerSettings
  jobs: Set<Promise<unknown>>
}
const stores = new Map<number, RegisteredStore>()
/** Set by the first job's message, of any store: the JIT warm-up stops before its next step. */
let jobArrived = false
/** The compactions in flight waiting for a file number, by job id. */
const awaitingNumbers = new Map<number, { resolve(fileNumber: number): void; reject(error: StrataError): void }>()

function outputFileNumber(jobId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    awaitingNumbers.set(jobId, { resolve, reject })
    port.postMessage({ jobId, outputFileNumberWanted: true } satisfies BackgroundWorkerReply)
  })
}

/**
 * Runs one job with a context built from its store's settings. Built per job (0.05–0.09 ms with
 * encryption or ECC, against flushes of 100 ms and more), so that the codec tells the repairs
 * its reads make to this job's list only, whatever other jobs run meanwhile.
 */
async function runJob(store: RegisteredStore, request: Extract<BackgroundWorkerRequest, { jobId: number; storeId: number }>): Promise<void> {
  const repairs: RepairEvent[] = []
  try {
    const context = flushContextOf(store.settings, vfs, (event) => repairs.push({ ...event }))
    const result = 'job' in request ? await flushFromWal(context, request.job) : await compactFromFiles(context.settings, request.compaction, () => outputFileNumber(request.jobId))
    port.postMessage({ jobId: request.jobId, result, repairs } satisfies BackgroundWorkerReply)
  } catch (error) {
    // A failed job's repairs go unreported: its error makes the store read-only anyway.
    port.postMessage(errorReply(request.jobId, error))
  }
}

function errorReply(jobId: number, error: unknown): BackgroundWorkerReply {
  return isStrataError(error)
    ? { jobId, error: { code: error.code, message: error.message, details: { ...error.details } } }
    : { jobId, error: { message: error instanceof Error ? error.message : String(error) } }
}

port.on('message', (request: BackgroundWorkerRequest) => {
  if ('settings' in request) {
    stores.set(request.storeId, { settings: request.settings, jobs: new Set() })
  } else if ('unregister' in request) {
    // The keys leave this map now; the store's jobs still in flight hold their own contexts.
    const store = stores.get(request.storeId)
    stores.delete(request.storeId)
    void Promise.allSettled(store?.jobs ?? []).then(() => port.postMessage({ storeId: request.storeId, unregistered: true } satisfies BackgroundWorkerReply))
  } else if ('outputFileNumber' in request || 'outputFileNumberRefused' in request) {
    const awaiting = awaitingNumbers.get(request.jobId)
    awaitingNumbers.delete(request.jobId)
    if ('outputFileNumber' in request) awaiting?.resolve(request.outputFileNumber)
    else awaiting?.reject(new StrataError('CLOSED', 'Cannot compact: the database closed during the compaction'))
  } else {
    jobArrived = true
    const store = stores.get(request.storeId)
    if (store === undefined) {
      // The main thread registers a store before its first job and drops it only once its jobs ended.
      port.postMessage(errorReply(request.jobId, new Error(`Assertion failed: a job for store ${request.storeId}, which is not registered in this thread`)))
      return
    }
    const job = runJob(store, request)
    store.jobs.add(job)
    void job.then(() => store.jobs.delete(job))
  }
})

// The warm-up runs between the jobs' turns of the event loop with its own MemVfs, codec and
// cipher; what it shares with them is used within one synchronous call (jit-warm-up.ts). It runs
// once per thread, with the settings of the store that started the thread, their keys swapped
// for a throwaway one before they crossed to it (no store's key is in workerData). It
// cannot fail on synthetic data but through a bug of ours; such
// a failure is caught and dropped here: the real jobs do not depend on it (the warm-up's own
// tests, jit-warm-up.test.ts, find it).
if (process.env.STRATA_WORKER_WARM_UP !== '0') {
  let warmUpRoundCount = 0
  const report = (warmUpEnded: boolean): void => port.postMessage({ warmUpRoundCount, warmUpEnded } satisfies BackgroundWorkerReply)
  const roundDone = (roundCount: number): void => {
    warmUpRoundCount = roundCount
    report(false)
  }
  warmUpJit(workerData as BackgroundWorkerSettings, { stopRequested: () => jobArrived, roundDone }).then(() => report(true), () => report(true))
}
