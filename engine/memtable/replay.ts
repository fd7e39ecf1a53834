/**
 * Replays a decoded WAL batch into a memtable: WAL recovery at open and the flush worker (which
 * rebuilds a frozen memtable from its log) share it, so both build the memtable the write path
 * built.
 */
import { Buffer } from 'node:buffer'
import { OpKind, type DecodedBatch } from '../batch/write-batch.ts'
import type { EntryKind, RangeTombstone } from '../entry.ts'

/** What a replay fills: a Memtable, or the flush worker's LogEntries. */
export interface ReplayTarget {
  add(key: string, seqno: number, kind: EntryKind, value: Uint8Array): void
  addRangeTombstone(tombstone: RangeTombstone): void
}

/**
 * Applies `batch` to `memtable` (any ReplayTarget); returns the seqno after its last op. `copyValues` copies each
 * value out of the payload: a memtable that lives on must not pin the large shared read buffer.
 */
export function replayBatch(memtable: ReplayTarget, batch: DecodedBatch, copyValues: boolean): number {
  let seqno = batch.firstSeqno
  for (const op of batch.ops) {
    if (op.kind === OpKind.RangeDelete) {
      memtable.addRangeTombstone({ start: op.key, end: Buffer.from(op.value).toString('latin1'), seqno })
    } else {
      memtable.add(op.key, seqno, op.kind, copyValues ? Uint8Array.prototype.slice.call(op.value) : op.value)
    }
    seqno++
  }
  return seqno
}
