/**
 * WAL recovery at open: replays every log the manifest does not yet cover (number >=
 * logNumber) in order, writes what it replayed as level-0 tables and records them, with the
 * new log number, in one manifest edit, so a crash during recovery simply recovers again.
 * Replay stops after a log that lost an unsynced tail, which the final size its successor's
 * header records reveals (docs/formats/wal.md §4.1): what follows it was never durable, and
 * replaying it would return later writes without earlier ones.
 */
import { decodeBatch } from './batch/write-batch.ts'
import { Memtable } from './memtable/memtable.ts'
import { replayBatch } from './memtable/replay.ts'
import type { LogCipher } from './wal/mod.ts'
import { parseFileName, type TableMeta, type Version, type VersionSet } from './manifest/mod.ts'
import { flushMemtable, type TableOutputs } from './table-outputs.ts'
import type { ResolvedOptions } from './options.ts'
import { EntryKind } from './entry.ts'
import type { ValueHooks } from './db.ts'
import { RecoveryWalk } from './recovery-walk.ts'

function handlesDurable(ops: readonly { kind: number; key: string; value: Uint8Array }[], hooks: ValueHooks | undefined, version: Version): boolean {
  if (hooks?.isDurable === undefined) return true
  for (const op of ops) {
    if (op.kind === EntryKind.BlobHandle && !hooks.isDurable(op.key, op.value, version)) return false
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
  /**
   * Logs not replayed because an earlier one ended before its last acknowledged-durable point
   * could lie behind them: it lost an unsynced tail (it is shorter than its successor's header
   * says), or a record's blob bytes never reached the disk. They held no durable write.
   */
  walFilesDropped: number
  /**
   * With `walRecovery: 'point-in-time'`: the damage replay stopped at (a damaged record, a whole
   * log with a bad last record, a missing log); the writes from there on were dropped.
   */
  walDamage?: {
    /** The log it is in. */
    fileName: string
    /** Where in that log: the damaged record's offset (0 for a missing predecessor). */
    offsetBytes: number
    /** The reader's reason (`checksum-mismatch`, …) or `predecessor-missing`. */
    reason: string
  }
}

/**
 * Replays the logs numbered >= `versions.logNumber` and below `newLogNumber`, then records the
 * tables and `newLogNumber` in the manifest. The caller has created the new log already.
 * Which logs replay and where replay stops is RecoveryWalk's (engine/recovery-walk.ts), which
 * `strata wal` walks too to predict an open.
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
  const report: RecoveryReport = { walFilesReplayed: 0, batchesReplayed: 0, tablesWritten: 0, tailBytesDropped: 0, walFilesDropped: 0 }
  const logNumbers: number[] = []
  for (const name of vfs.list(directory)) {
    const parsed = parseFileName(name)
    if (parsed?.kind === 'wal' && parsed.fileNumber >= versions.logNumber && parsed.fileNumber !== newLogNumber) {
      logNumbers.push(parsed.fileNumber)
    }
  }
  logNumbers.sort((a, b) => a - b)
  const cipherOf = (logNumber: number) => versions.requiresEncryptedLog(logNumber) ? walCipher?.refusingPlaintextLogs() : walCipher
  const syncDirectory = () => vfs.syncDirectory(directory)
  // Handles the replay flush drops (overwritten within one log) are stale bytes for the value layer.
  const onDroppedValue = hooks?.onDroppedValue === undefined ? undefined : (key: string, value: Uint8Array) => hooks.onDroppedValue!(key, value)
  const added: TableMeta[] = []
  let lastSeqno = versions.lastSeqno
  // Replayed entries get their per-KV checksums now, so a flush of them is checked like any other.
  let memtable = new Memtable({ perKeyChecksums: outputs.perKeyChecksums })
  const walk = new RecoveryWalk({ vfs, directory, logNumbers, firstLogNumber: versions.logNumber, cipherOf, mode: options.walRecovery, cutTornTails: true })
  for await (const { fileName, read, damage, lostTail } of walk) {
    if (read === undefined) {
      // After the stop, or where it was found before reading (a missing predecessor, a bad header).
      if (damage !== undefined) report.walDamage = { fileName, ...damage }
      report.walFilesDropped++
      continue
    }
    const { payloads, report: walReport } = read
    report.walFilesReplayed++
    if (walReport.tailBytesDropped > 0) {
      report.tailBytesDropped += walReport.tailBytesDropped
      report.tailReason = walReport.tailReason
      report.tailFile = fileName
    }
    if (damage !== undefined) {
      report.walDamage = { fileName, ...damage }
      report.tailReason = damage.reason
      report.tailFile = fileName
    } else if (lostTail) {
      report.tailReason ??= 'lost-tail'
      report.tailFile = fileName
    }
    for (const [recordIndex, payload] of payloads.entries()) {
      const batch = decodeBatch(payload, fileName)
      if (!handlesDurable(batch.ops, hooks, versions.current)) {
        // The blob bytes of this batch never reached the disk, so it was never acknowledged as
        // durable, and nothing after it was either (a later sync would have covered it).
        report.tailReason = 'blob-not-durable'
        report.tailFile = fileName
        report.tailBytesDropped += payloads.slice(recordIndex).reduce((sum, p) => sum + p.length, 0)
        walk.stopAfterCurrent()
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
