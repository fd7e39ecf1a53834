/**
 * The background worker thread: rebuilds frozen memtables from their logs and writes them as
 * level-0 tables (wal-flush.ts), and runs compactions (compaction/compact-from-files.ts), one
 * job at a time, on the second core. Its settings arrive once, in workerData; they hold the
 * encryption keys when the store is encrypted and are never logged.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { isStrataError } from '../errors.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import type { RepairEvent } from '../transform/mod.ts'
import { compactFromFiles } from '../compaction/compact-from-files.ts'
import { flushFromWal } from './wal-flush.ts'
import { warmUpJit } from './jit-warm-up.ts'
import { flushContextOf, type BackgroundWorkerReply, type BackgroundWorkerRequest, type BackgroundWorkerSettings } from './background-worker-protocol.ts'

/** ECC repairs the current job's reads made; they go back with its result (the database counts them). */
const repairs: RepairEvent[] = []
const settings = workerData as BackgroundWorkerSettings
const context = flushContextOf(settings, new NodeVfs(), (event) => repairs.push({ ...event }))
const port = parentPort!
/** Set by the first job's message: the JIT warm-up stops before its next step. */
let jobArrived = false
/** The compaction in flight waiting for a file number, by job id (at most one: jobs run one at a time). */
const awaitingNumbers = new Map<number, (fileNumber: number) => void>()

function outputFileNumber(jobId: number): Promise<number> {
  return new Promise((resolve) => {
    awaitingNumbers.set(jobId, resolve)
    port.postMessage({ jobId, outputFileNumberWanted: true } satisfies BackgroundWorkerReply)
  })
}

// Jobs run one at a time: the database sends the next job only after this one's edit.
port.on('message', (request: BackgroundWorkerRequest) => {
  if ('outputFileNumber' in request) {
    const resolve = awaitingNumbers.get(request.jobId)
    awaitingNumbers.delete(request.jobId)
    resolve?.(request.outputFileNumber)
    return
  }
  jobArrived = true
  // A failed job's repairs go unreported: its error makes the store read-only anyway.
  repairs.length = 0
  const done =
    'job' in request
      ? flushFromWal(context, request.job)
      : compactFromFiles(context.settings, request.compaction, () => outputFileNumber(request.jobId))
  done.then(
    (result) => port.postMessage({ jobId: request.jobId, result, repairs: repairs.splice(0) } satisfies BackgroundWorkerReply),
    (error: unknown) => {
      const reply: BackgroundWorkerReply = isStrataError(error)
        ? { jobId: request.jobId, error: { code: error.code, message: error.message, details: { ...error.details } } }
        : { jobId: request.jobId, error: { message: error instanceof Error ? error.message : String(error) } }
      port.postMessage(reply)
    },
  )
})

// The warm-up runs between the jobs' turns of the event loop with its own MemVfs, codec and
// cipher; what it shares with them is used within one synchronous call (jit-warm-up.ts). It
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
  warmUpJit(settings, { stopRequested: () => jobArrived, roundDone }).then(() => report(true), () => report(true))
}
