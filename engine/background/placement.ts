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
import type { IntegrityOptions } from '../integrity-options.ts'

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

/**
 * A copy of `integrity` that shares nothing with the caller's: the keys cross to the thread only
 * at the store's first job, so a caller that zeroes its key buffers after open() (key hygiene)
 * would otherwise have the thread seal and open with zeros ("header authentication failed", the
 * store read-only). Each key gets a buffer of its own: structuredClone copies the whole
 * ArrayBuffer a key views (an 8 KiB slab of Node's pool for a small Buffer), and that slab would
 * cross to the thread with it.
 * @throws {DOMException} DataCloneError when `integrity` holds what cannot cross to a thread.
 */
function copiedIntegrity(integrity: IntegrityOptions | undefined): IntegrityOptions | undefined {
  if (integrity === undefined) return undefined
  const { encryption, ...rest } = integrity
  const copy: IntegrityOptions = structuredClone(rest)
  if (encryption !== undefined) copy.encryption = { ...encryption, keys: encryption.keys.map(({ epoch, key }) => ({ epoch, key: Uint8Array.from(key) })) }
  return copy
}

/**
 * The worker's settings: the open options a table writer and a log reader need, copied (nothing
 * the caller does to its options after open() reaches them). Or why the worker cannot serve
 * this store.
 */
function workerSettings(options: EngineOptions, resolved: ResolvedOptions): BackgroundWorkerSettings | { obstacle: string } {
  if (resolved.vfs.constructor !== NodeVfs) return { obstacle: 'the worker reaches files only through the real file system (NodeVfs)' }
  if (options.blockCodec !== undefined) return { obstacle: 'a custom blockCodec cannot cross to a worker thread' }
  let integrity: IntegrityOptions | undefined
  try {
    integrity = copiedIntegrity(options.integrity)
  } catch {
    return { obstacle: 'option integrity cannot be copied to a worker thread' }
  }
  return {
    blockSizeBytes: resolved.blockSizeBytes,
    blockRestartInterval: resolved.blockRestartInterval,
    bloomBitsPerKey: resolved.bloomBitsPerKey,
    integrity,
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
  const settings = workerSettings(options, resolved)
  if ('obstacle' in settings) {
    if (thread === 'worker') throw new StrataError('INVALID_ARGUMENT', `Cannot open: ${name} 'worker' is not possible here: ${settings.obstacle}`)
    return { kind: 'main', reason: settings.obstacle }
  }
  const autoSizeBytesMin = job === 'flush' ? WORKER_FLUSH_SIZE_BYTES_MIN : WORKER_COMPACTION_INPUT_BYTES_MIN
  return { kind: 'worker', settings, sizeBytesMin: thread === 'worker' ? 0 : autoSizeBytesMin }
}
