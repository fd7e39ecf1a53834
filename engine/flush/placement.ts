/**
 * Where flushes build their tables: in the flush worker (a second core; flush-worker.ts) or on
 * the database's own thread. The worker reads the log through the real file system, so it serves
 * only NodeVfs stores (a MemVfs lives in this thread's memory, a fault-injecting Vfs must see
 * every write) with the codec open() builds from `integrity` (a custom blockCodec object cannot
 * cross threads). `flushThread: 'worker'` where it cannot work is refused at open; 'auto' then
 * quietly uses the main thread.
 */
import { StrataError } from '../errors.ts'
import type { EngineOptions, ResolvedOptions } from '../options.ts'
import { NodeVfs } from '../vfs/node-vfs.ts'
import type { FlushWorkerSettings } from './flush-worker-protocol.ts'

/**
 * Under 'auto', smaller memtables flush on the main thread: the worker's fixed cost per flush
 * (a message each way, reading the log back) outweighs building a small table in place.
 */
export const WORKER_FLUSH_SIZE_BYTES_MIN = 1024 * 1024

/** The flush placement open() chose: the worker's settings, or why flushes stay on the main thread. */
export type FlushPlacement =
  | { kind: 'worker'; settings: FlushWorkerSettings; sizeBytesMin: number }
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

/**
 * Chooses where flushes run for a store opened with `options` (already resolved).
 * @throws {StrataError} INVALID_ARGUMENT for `flushThread: 'worker'` where the worker cannot work.
 */
export function chooseFlushPlacement(options: EngineOptions, resolved: ResolvedOptions): FlushPlacement {
  if (resolved.flushThread === 'main') return { kind: 'main', reason: "flushThread is 'main'" }
  const obstacle = workerObstacle(options, resolved)
  if (obstacle !== undefined) {
    if (resolved.flushThread === 'worker') throw new StrataError('INVALID_ARGUMENT', `Cannot open: flushThread 'worker' is not possible here: ${obstacle}`)
    return { kind: 'main', reason: obstacle }
  }
  const settings: FlushWorkerSettings = {
    blockSizeBytes: resolved.blockSizeBytes,
    blockRestartInterval: resolved.blockRestartInterval,
    bloomBitsPerKey: resolved.bloomBitsPerKey,
    integrity: options.integrity,
  }
  return { kind: 'worker', settings, sizeBytesMin: resolved.flushThread === 'worker' ? 0 : WORKER_FLUSH_SIZE_BYTES_MIN }
}
