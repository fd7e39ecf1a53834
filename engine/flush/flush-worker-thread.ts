/**
 * The flush worker thread: rebuilds frozen memtables from their logs and writes them as level-0
 * tables (wal-flush.ts), one job at a time, on the second core. Its settings arrive once, in
 * workerData; they hold the encryption keys when the store is encrypted and are never logged.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { isStrataError } from '../errors.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import { flushFromWal } from './wal-flush.ts'
import { flushContextOf, type FlushWorkerReply, type FlushWorkerRequest, type FlushWorkerSettings } from './flush-worker-protocol.ts'

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
