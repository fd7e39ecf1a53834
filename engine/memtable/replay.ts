/**
 * Replays a decoded WAL batch into a memtable: WAL recovery at open and the background worker (which
 * rebuilds a frozen memtable from its log) share it, so both build the memtable the write path
 * built.
 */
import { Buffer } from 'node:buffer'
import { OpKind, type DecodedBatch } from '../batch/write-batch.ts'
import type { Memtable } from './memtable.ts'

/**
 * Applies `batch` to `memtable`; returns the seqno after its last op. `copyValues` copies each
 * value out of the payload: a memtable that lives on must not pin the large shared read buffer.
 */
export function replayBatch(memtable: Memtable, batch: DecodedBatch, copyValues: boolean): number {
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
