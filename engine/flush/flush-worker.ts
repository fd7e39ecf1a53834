/**
 * The flush worker thread: builds a level-0 table from a frozen memtable's packed entries on the
 * second core, so the main thread keeps serving writes and reads. Runs one job at a time.
 * Only used with the real file system (NodeVfs) and the default block codec: a MemVfs lives in
 * the main thread's memory, and a custom codec object cannot cross threads.
 */
import { parentPort } from 'node:worker_threads'
import { FrozenEntriesSource } from './frozen-entries.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import { TableOutputs, flushMemtable } from '../table-outputs.ts'
import { StrataError } from '../errors.ts'
import type { FlushJobRequest, FlushJobResult } from './flush-job.ts'

const vfs = new NodeVfs()

async function runJob(job: FlushJobRequest): Promise<FlushJobResult> {
  const source = new FrozenEntriesSource(job.entries)
  let fileNumberUsed = false
  const outputs = new TableOutputs(
    { vfs, blockCodec: undefined, blockSizeBytes: job.blockSizeBytes, blockRestartInterval: job.blockRestartInterval, bloomBitsPerKey: job.bloomBitsPerKey },
    job.directory,
    () => {
      // A flush writes at most one table (its target size is unbounded).
      if (fileNumberUsed) throw new Error('flush worker: a flush asked for a second table')
      fileNumberUsed = true
      return job.fileNumber
    },
  )
  const dropped: [string, Uint8Array][] = []
  const added = await flushMemtable(source, outputs, job.snapshots, () => vfs.syncDirectory(job.directory), (key, value) => {
    dropped.push([key, value])
  })
  return { jobId: job.jobId, added, dropped }
}

parentPort!.on('message', (job: FlushJobRequest) => {
  runJob(job).then(
    (result) => parentPort!.postMessage(result),
    (error: unknown) => {
      const code = error instanceof StrataError ? error.code : undefined
      parentPort!.postMessage({ jobId: job.jobId, error: { code, message: String((error as Error)?.message ?? error) } } satisfies FlushJobResult)
    },
  )
})
