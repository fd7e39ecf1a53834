/**
 * A flush job as it crosses to the flush worker: plain data (structured clone), the frozen
 * memtable packed as FrozenEntries with its buffers transferred.
 *
 * A first version rebuilt the memtable in the worker from its WAL file instead; on this 2-core
 * machine under load that doubled the flush's total CPU (log decode + B+tree inserts) and the
 * fill ran at half the speed of an in-process flush. Packing costs the main thread one pass.
 */
import type { TableMeta } from '../manifest/mod.ts'
import type { FrozenEntries } from './frozen-entries.ts'

export interface FlushJobRequest {
  jobId: number
  directory: string
  entries: FrozenEntries
  /** The file number the table gets (allocated by the main thread's VersionSet). */
  fileNumber: number
  /** Live snapshot seqnos, ascending. */
  snapshots: number[]
  blockSizeBytes: number
  blockRestartInterval: number
  bloomBitsPerKey: number
}

export interface FlushJobResult {
  jobId: number
  added?: TableMeta[]
  /** BlobHandle values the flush dropped, as [key, handle] pairs, for the value layer. */
  dropped?: [string, Uint8Array][]
  error?: { code?: string; message: string }
}
