/**
 * Where flushes build their tables and compactions merge theirs: in the background worker (a
 * second core; background-worker.ts) or on the database's own thread. The worker reads logs and
 * tables through the real file system, so it serves only NodeVfs stores (a MemVfs lives in this
 * thread's memory, a fault-injecting Vfs must see every write) with the codec open() builds from
 * `integrity` (a custom blockCodec object cannot cross threads). `flushThread: 'worker'` or
 * `compactionThread: 'worker'` where it cannot work is refused at open; 'auto' then quietly uses
 * the main thread.
 */
import { StrataError } from '../errors.ts'
import type { EngineOptions, ResolvedOptions } from '../options.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import type { BackgroundWorkerSettings } from './background-worker-protocol.ts'

/**
 * Under 'auto', smaller memtables flush on the main thread: the worker's fixed cost per flush
 * (a message each way, reading the log back) outweighs building a small table in place.
 */
export const WORKER_FLUSH_SIZE_BYTES_MIN = 1024 * 1024

/**
 * Under 'auto', compactions reading fewer bytes merge on the main thread, for the flush's
 * reason: the worker's fixed cost per job (messages, opening the inputs again without the
 * database's cached blocks) outweighs a small merge. Set like the flush's bound, not measured.
 */
export const WORKER_COMPACTION_INPUT_BYTES_MIN = 1024 * 1024

/** The placement open() chose: the worker's settings, or why flushes stay on the main thread. */
export type ThreadPlacement =
  | { kind: 'worker'; settings: BackgroundWorkerSettings; sizeBytesMin: number }
  | { kind: 'main'; reason: string }

/** Why the worker cannot serve this store, or undefined when it can. */
function workerObstacle(options: EngineOptions, resolved: ResolvedOptions): string | undefined {
  if (resolved.vfs.constructor !== NodeVfs) return 'the worker reaches files only through the real file system (NodeVfs)'
  if (options.blockCodec !== undefined) return 'a custom blockCodec cannot cross to a worker thread'
  try {
    structuredClone(options.integrity)
  } catch {
    return 'option integrity cannot be copied to a worker thread'
  }
  return undefined
}

/** The worker's settings: the open options a table writer and a log reader need. */
function workerSettings(options: EngineOptions, resolved: ResolvedOptions): BackgroundWorkerSettings {
  return {
    blockSizeBytes: resolved.blockSizeBytes,
    blockRestartInterval: resolved.blockRestartInterval,
    bloomBitsPerKey: resolved.bloomBitsPerKey,
    integrity: options.integrity,
  }
}

/**
 * Chooses where flushes (`job` 'flush') or compactions ('compaction') run for a store opened
 * with `options` (already resolved). `sizeBytesMin` bounds the memtable or the inputs' bytes.
 * @throws {StrataError} INVALID_ARGUMENT for 'worker' where the worker cannot work.
 */
export function choosePlacement(job: 'flush' | 'compaction', options: EngineOptions, resolved: ResolvedOptions): ThreadPlacement {
  const [name, thread] = job === 'flush' ? ['flushThread', resolved.flushThread] : ['compactionThread', resolved.compactionThread]
  if (thread === 'main') return { kind: 'main', reason: `${name} is 'main'` }
  const obstacle = workerObstacle(options, resolved)
  if (obstacle !== undefined) {
    if (thread === 'worker') throw new StrataError('INVALID_ARGUMENT', `Cannot open: ${name} 'worker' is not possible here: ${obstacle}`)
    return { kind: 'main', reason: obstacle }
  }
  const autoSizeBytesMin = job === 'flush' ? WORKER_FLUSH_SIZE_BYTES_MIN : WORKER_COMPACTION_INPUT_BYTES_MIN
  return { kind: 'worker', settings: workerSettings(options, resolved), sizeBytesMin: thread === 'worker' ? 0 : autoSizeBytesMin }
}
