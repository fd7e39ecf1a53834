/**
 * WAL recovery at open: replays every log the manifest does not yet cover (number >=
 * logNumber) in order, writes what it replayed as level-0 tables and records them, with the
 * new log number, in one manifest edit, so a crash during recovery simply recovers again.
 */
import path from 'node:path'
import { decodeBatch } from './batch/write-batch.ts'
import { Memtable } from './memtable/memtable.ts'
import { replayBatch } from './memtable/replay.ts'
import { readWal, type LogCipher } from './wal/mod.ts'
import { parseFileName, walFileName, type TableMeta, type VersionSet } from './manifest/mod.ts'
import { flushMemtable, type TableOutputs } from './table-outputs.ts'
import type { ResolvedOptions } from './options.ts'
import { EntryKind } from './entry.ts'
import type { ValueHooks } from './db.ts'

function handlesDurable(ops: readonly { kind: number; key: string; value: Uint8Array }[], hooks: ValueHooks | undefined): boolean {
  if (hooks?.isDurable === undefined) return true
  for (const op of ops) {
    if (op.kind === EntryKind.BlobHandle && !hooks.isDurable(op.key, op.value)) return false
  }
  return true
}

/** What recovery found and did; reported by `stats().recovery`. */
export interface RecoveryReport {
  /** Write-ahead log files replayed at open. */
  walFilesReplayed: number
  /** Write batches (records) replayed from them. */
  batchesReplayed: number
  /** Level-0 tables the replayed memtables were flushed into. */
  tablesWritten: number
  /** Bytes cut from a torn log tail (0 when every log ended cleanly). */
  tailBytesDropped: number
  /** Why the last log ended early (torn record, bad checksum, …), when it did. */
  tailReason?: string
  /** The log file whose tail was cut, when one was. */
  tailFile?: string
}

/**
 * Replays the logs numbered >= `versions.logNumber` and below `newLogNumber`, then records the
 * tables and `newLogNumber` in the manifest. The caller has created the new log already.
 * `walCipher` opens encrypted logs (integrity.encryption); a plaintext log replays unless the
 * store's authenticated manifest says logs of its number must be encrypted (stripping:
 * DECRYPT_FAILED, docs/encryption.md §7).
 */
export async function recoverWals(
  directory: string,
  versions: VersionSet,
  options: ResolvedOptions,
  outputs: TableOutputs,
  newLogNumber: number,
  hooks: ValueHooks | undefined,
  walCipher?: LogCipher,
): Promise<RecoveryReport> {
  const vfs = options.vfs
  const report: RecoveryReport = { walFilesReplayed: 0, batchesReplayed: 0, tablesWritten: 0, tailBytesDropped: 0 }
  const logNumbers: number[] = []
  for (const name of vfs.list(directory)) {
    const parsed = parseFileName(name)
    if (parsed?.kind === 'wal' && parsed.fileNumber >= versions.logNumber && parsed.fileNumber !== newLogNumber) {
      logNumbers.push(parsed.fileNumber)
    }
  }
  logNumbers.sort((a, b) => a - b)
  const syncDirectory = () => vfs.syncDirectory(directory)
  // Handles the replay flush drops (overwritten within one log) are stale bytes for the value layer.
  const onDroppedValue = hooks?.onDroppedValue === undefined ? undefined : (key: string, value: Uint8Array) => hooks.onDroppedValue!(key, value)
  const added: TableMeta[] = []
  let lastSeqno = versions.lastSeqno
  // Replayed entries get their per-KV checksums now, so a flush of them is checked like any other.
  let memtable = new Memtable({ perKeyChecksums: outputs.perKeyChecksums })
  let stopped = false
  for (const logNumber of logNumbers) {
    if (stopped) break
    const fileName = walFileName(logNumber)
    const { payloads, report: walReport } = await readWal(vfs, path.join(directory, fileName), {
      onTornTail: options.walRecovery === 'fail' ? 'fail' : 'truncate',
      cipher: versions.requiresEncryptedLog(logNumber) ? walCipher?.refusingPlaintextLogs() : walCipher,
    })
    report.walFilesReplayed++
    if (walReport.tailBytesDropped > 0) {
      report.tailBytesDropped += walReport.tailBytesDropped
      report.tailReason = walReport.tailReason
      report.tailFile = fileName
    }
    for (const [recordIndex, payload] of payloads.entries()) {
      const batch = decodeBatch(payload, fileName)
      if (!handlesDurable(batch.ops, hooks)) {
        // The blob bytes of this batch never reached the disk, so it was never acknowledged as
        // durable, and nothing after it was either (a later sync would have covered it).
        report.tailReason = 'blob-not-durable'
        report.tailFile = fileName
        report.tailBytesDropped += payloads.slice(recordIndex).reduce((sum, p) => sum + p.length, 0)
        stopped = true
        break
      }
      // Copy: the payload buffer is large and shared; the memtable keeps values for a while.
      const seqno = replayBatch(memtable, batch, true)
      lastSeqno = Math.max(lastSeqno, seqno - 1)
      report.batchesReplayed++
      if (memtable.sizeBytes >= options.memtableSizeBytes) {
        memtable.freeze()
        added.push(...(await flushMemtable(memtable, outputs, [], syncDirectory, onDroppedValue)))
        memtable = new Memtable({ perKeyChecksums: outputs.perKeyChecksums })
      }
    }
  }
  memtable.freeze()
  if (!memtable.isEmpty()) added.push(...(await flushMemtable(memtable, outputs, [], syncDirectory, onDroppedValue)))
  report.tablesWritten = added.length
  await versions.logAndApply({ ...hooks?.takeCompactionEdit?.(versions.current), addedTables: added, logNumber: newLogNumber, lastSeqno })
  return report
}
