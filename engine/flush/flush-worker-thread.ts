/**
 * The flush worker thread: rebuilds frozen memtables from their logs and writes them as level-0
 * tables (wal-flush.ts), one job at a time, on the second core. Its settings arrive once, in
 * workerData; they hold the encryption keys when the store is encrypted and are never logged.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { isStrataError } from '../errors.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import { flushFromWal } from './wal-flush.ts'
import { flushContextOf, type FlushWorkerReply, type FlushWorkerRequest, type FlushWorkerSettings } from './flush-worker-protocol.ts'

/**
 * Nice increment of this thread: background work yields the cores to the writers it serves, as
 * RocksDB lowers its compaction threads' CPU priority. Backpressure bounds how far a starved
 * flush can fall behind (writers wait, and their thread idles, at two frozen memtables).
 */
const NICE_INCREMENT = 10

/** Lowers this thread's scheduling priority (Linux: a thread is a task with its own nice value); elsewhere nothing. */
function lowerThreadPriority(): void {
  try {
    const threadId = Number(path.basename(fs.readlinkSync('/proc/thread-self')))
    os.setPriority(threadId, Math.min(19, os.getPriority(threadId) + NICE_INCREMENT))
  } catch {
    // No /proc/thread-self (not Linux) or not permitted: run at the process's priority.
  }
}

lowerThreadPriority()
const context = flushContextOf(workerData as FlushWorkerSettings, new NodeVfs())
const port = parentPort!

// Jobs run one at a time: the database sends the next flush only after this one's edit.
port.on('message', (request: FlushWorkerRequest) => {
  flushFromWal(context, request.job).then(
    (result) => port.postMessage({ jobId: request.jobId, result } satisfies FlushWorkerReply),
    (error: unknown) => {
      const reply: FlushWorkerReply = isStrataError(error)
        ? { jobId: request.jobId, error: { code: error.code, message: error.message, details: { ...error.details } } }
        : { jobId: request.jobId, error: { message: error instanceof Error ? error.message : String(error) } }
      port.postMessage(reply)
    },
  )
})
