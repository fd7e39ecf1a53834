/**
 * Flush from the log: rebuilds a frozen memtable from its WAL file and writes it as a level-0
 * table. The background worker runs this, so the main thread ships a file name and numbers instead of
 * the memtable's entries (shipping the entries cost more than the table build saved; commit
 * 7439c37). Every record of a frozen memtable is in its log file already: WalWriter.add appends
 * synchronously, and the log takes no records after the freeze.
 *
 * The rebuilt memtable goes through the same replay (memtable/replay.ts) and the same flush
 * (table-outputs.ts flushMemtable) as the in-thread path, so both write the same table; the
 * counts the main thread sends are checked first, so a log that does not hold exactly the
 * memtable's entries fails the flush with CORRUPTION instead of writing a different table.
 */
import path from 'node:path'
import assert from 'node:assert/strict'
import { StrataError } from '../errors.ts'
import { decodeBatch } from '../batch/write-batch.ts'
import { Memtable } from '../memtable/memtable.ts'
import { replayBatch } from '../memtable/replay.ts'
import { readWal, type LogCipher } from '../wal/mod.ts'
import { walFileName, type TableMeta } from '../manifest/mod.ts'
import { TableOutputs, flushMemtable, type TableOutputSettings } from '../table-outputs.ts'

/** One flush: which log to rebuild, where the table goes, and what the memtable held. */
export interface WalFlushJob {
  directory: string
  logNumber: number
  /** The log was written sealed: read it with a cipher that refuses plaintext. */
  encrypted: boolean
  /** File number of the table to write (allocated by the main thread, pending there). */
  tableFileNumber: number
  /** Live snapshot seqnos, ascending, when the flush started. */
  snapshots: number[]
  /** The frozen memtable's counts: the rebuilt one must match them. */
  expected: { entryCount: number; rangeTombstoneCount: number; smallestSeqno: number; largestSeqno: number }
}

/** What a flush from the log produced: the table (none for an empty memtable) and the values it dropped. */
export interface WalFlushResult {
  added: TableMeta[]
  /** Keys and values of versions dropped as shadowed (blob handles count as stale bytes). Copies. */
  dropped: [string, Uint8Array][]
}

/** How the flusher writes tables and reads logs (built once per worker). */
export interface WalFlushContext {
  settings: TableOutputSettings
  cipher: LogCipher | undefined
}

function mismatch(job: WalFlushJob, fileName: string, what: string, found: number, expected: number): StrataError {
  return new StrataError('CORRUPTION', `Cannot flush log ${fileName}: it holds ${found} ${what}, the memtable ${expected}`, {
    details: { fileName: path.join(job.directory, fileName), found, expected },
  })
}

/** Rebuilds the memtable of `job.logNumber` from its log and writes it as one level-0 table. */
export async function flushFromWal(context: WalFlushContext, job: WalFlushJob): Promise<WalFlushResult> {
  const vfs = context.settings.vfs
  const fileName = walFileName(job.logNumber)
  const { payloads } = await readWal(vfs, path.join(job.directory, fileName), {
    // A frozen log is complete: any torn or damaged record is corruption, never a tail to cut.
    onTornTail: 'fail',
    cipher: job.encrypted ? context.cipher?.refusingPlaintextLogs() : context.cipher,
    expectedLogNumber: job.logNumber,
  })
  let tableCount = 0
  const outputs = new TableOutputs(context.settings, job.directory, () => {
    // flushMemtable writes one table (its target size is unbounded); a second would reuse the number.
    assert.equal(tableCount++, 0, 'a flush from the log asked for a second table')
    return job.tableFileNumber
  })
  // With per-KV checksums on, the rebuilt entries get their CRCs as they are inserted, so the
  // table writer compares each entry it is handed with its source, as on the database's thread
  // (docs/per-kv-checksums.md §2). The memtable's key order is built once, when the flush first
  // iterates it (one sort of the keys).
  const memtable = new Memtable({ perKeyChecksums: outputs.perKeyChecksums })
  // No copies: the entries live only for this flush, and the read buffer with it.
  for (const payload of payloads) replayBatch(memtable, decodeBatch(payload, fileName), false)
  const { expected } = job
  if (memtable.entryCount !== expected.entryCount) throw mismatch(job, fileName, 'entries', memtable.entryCount, expected.entryCount)
  if (memtable.rangeTombstones.length !== expected.rangeTombstoneCount) {
    throw mismatch(job, fileName, 'range tombstones', memtable.rangeTombstones.length, expected.rangeTombstoneCount)
  }
  if (memtable.smallestSeqno !== expected.smallestSeqno) throw mismatch(job, fileName, 'as smallest seqno', memtable.smallestSeqno, expected.smallestSeqno)
  if (memtable.largestSeqno !== expected.largestSeqno) throw mismatch(job, fileName, 'as largest seqno', memtable.largestSeqno, expected.largestSeqno)
  const dropped: [string, Uint8Array][] = []
  const added = await flushMemtable(memtable, outputs, job.snapshots, () => vfs.syncDirectory(job.directory), (key, value) => {
    // A copy: a view would carry the whole read buffer across the thread boundary.
    dropped.push([key, value.slice()])
  })
  return { added, dropped }
}
