/**
 * WAL recovery at open: replays every log the manifest does not yet cover (number >=
 * logNumber) in order, writes what it replayed as level-0 tables and records them, with the
 * new log number, in one manifest edit, so a crash during recovery simply recovers again.
 * Replay stops after a log that lost an unsynced tail, which the final size its successor's
 * header records reveals (docs/formats/wal.md §4.1): what follows it was never durable, and
 * replaying it would return later writes without earlier ones.
 */
import path from 'node:path'
import { decodeBatch } from './batch/write-batch.ts'
import { Memtable } from './memtable/memtable.ts'
import { replayBatch } from './memtable/replay.ts'
import { readLogFileHeader, readWal, type LogCipher } from './wal/mod.ts'
import { StrataError, isStrataError } from './errors.ts'
import type { Vfs } from './vfs/mod.ts'
import { parseFileName, walFileName, type TableMeta, type Version, type VersionSet } from './manifest/mod.ts'
import { flushMemtable, type TableOutputs } from './table-outputs.ts'
import type { ResolvedOptions } from './options.ts'
import { EntryKind } from './entry.ts'
import type { ValueHooks } from './db.ts'

function handlesDurable(ops: readonly { kind: number; key: string; value: Uint8Array }[], hooks: ValueHooks | undefined, version: Version): boolean {
  if (hooks?.isDurable === undefined) return true
  for (const op of ops) {
    if (op.kind === EntryKind.BlobHandle && !hooks.isDurable(op.key, op.value, version)) return false
  }
  return true
}

/**
 * The final size of each log whose successor's header records it (docs/formats/wal.md §4.1),
 * by log number. A successor naming a log at or past the manifest's log number that is not the
 * log before it means a log is missing from the chain. `cipherOf(logNumber)` is the cipher its
 * replay would use: an encrypted successor's link counts only once its header tag checks out.
 * @throws {StrataError} `CORRUPTION` for a missing predecessor; `DECRYPT_FAILED` for a header
 * that fails authentication or a plaintext log the store refuses; `IO_ERROR`.
 */
export function finalSizesOf(
  vfs: Vfs, directory: string, logNumbers: readonly number[], firstLogNumber: number, cipherOf: (logNumber: number) => LogCipher | undefined,
  pointInTime: boolean,
): { finalSizes: Map<number, number>; missingBefore?: number } {
  const finalSizes = new Map<number, number>()
  for (const [position, logNumber] of logNumbers.entries()) {
    const fileName = walFileName(logNumber)
    let predecessor
    try {
      predecessor = readLogFileHeader(vfs, path.join(directory, fileName), cipherOf(logNumber))?.predecessor
    } catch (error) {
      // A bad header is readWal's to report, and a key this open lacks readWal's to ask for, if
      // replay reaches the log: without its link the log before it replays by the rule of §4.
      if (LINK_UNREADABLE_CODES.some((code) => isStrataError(error, code))) continue
      throw error
    }
    // A predecessor below the manifest's log number was flushed and is gone for good.
    if (predecessor === undefined || predecessor.fileNumber < firstLogNumber) continue
    if (predecessor.fileNumber !== logNumbers[position - 1]) {
      // Point-in-time recovery replays the logs before the gap and stops there.
      if (pointInTime) return { finalSizes, missingBefore: logNumber }
      throw new StrataError('CORRUPTION',
        `Cannot recover ${directory}: log ${fileName} succeeds log ${predecessor.fileNumber}, which is missing (the log before it is ${logNumbers[position - 1] ?? 'none'})`,
        { details: { fileName, offsetBytes: 0, predecessorNumber: predecessor.fileNumber } })
    }
    finalSizes.set(predecessor.fileNumber, predecessor.sizeBytes)
  }
  return { finalSizes }
}

/** Header errors after which a log's link is not used (see finalSizesOf). */
const LINK_UNREADABLE_CODES = ['CORRUPTION', 'UNSUPPORTED_FORMAT_VERSION', 'UNKNOWN_KEY_EPOCH', 'MISSING_KEY'] as const

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
 * `strata wal` predicts its stops (engine/forensics/wal-survey.ts, recoveryVerdict): a rule
 * changed here changes there too.
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
  const pointInTime = options.walRecovery === 'point-in-time'
  const { finalSizes, missingBefore } = finalSizesOf(vfs, directory, logNumbers, versions.logNumber, cipherOf, pointInTime)
  const syncDirectory = () => vfs.syncDirectory(directory)
  // Handles the replay flush drops (overwritten within one log) are stale bytes for the value layer.
  const onDroppedValue = hooks?.onDroppedValue === undefined ? undefined : (key: string, value: Uint8Array) => hooks.onDroppedValue!(key, value)
  const added: TableMeta[] = []
  let lastSeqno = versions.lastSeqno
  // Replayed entries get their per-KV checksums now, so a flush of them is checked like any other.
  let memtable = new Memtable({ perKeyChecksums: outputs.perKeyChecksums })
  let stopped = false
  for (const [position, logNumber] of logNumbers.entries()) {
    const fileName = walFileName(logNumber)
    if (logNumber === missingBefore && !stopped) {
      report.walDamage = { fileName, offsetBytes: 0, reason: 'predecessor-missing' }
      stopped = true
    }
    if (stopped) {
      report.walFilesDropped++
      continue
    }
    const isLastLog = position === logNumbers.length - 1
    let read: Awaited<ReturnType<typeof readWal>>
    try {
      read = await readWal(vfs, path.join(directory, fileName), {
        // Point-in-time leaves a tail it stops at as found; only the last log's torn tail is cut.
        onTornTail: options.walRecovery === 'fail' ? 'fail' : pointInTime && !isLastLog ? 'report' : 'truncate',
        cipher: cipherOf(logNumber),
        finalSizeBytes: finalSizes.get(logNumber),
        onDamage: pointInTime ? 'stop' : 'throw',
      })
    } catch (error) {
      // A header damaged beyond reading: point-in-time stops before this log.
      if (!pointInTime || !isStrataError(error, 'CORRUPTION')) throw error
      report.walDamage = { fileName, offsetBytes: 0, reason: 'header-damaged' }
      report.walFilesDropped++
      stopped = true
      continue
    }
    const { payloads, report: walReport } = read
    report.walFilesReplayed++
    if (walReport.tailBytesDropped > 0) {
      report.tailBytesDropped += walReport.tailBytesDropped
      report.tailReason = walReport.tailReason
      report.tailFile = fileName
    }
    if (walReport.damage !== undefined || (pointInTime && !isLastLog && walReport.tailBytesDropped > 0 && walReport.lostTailBytes === undefined)) {
      // Point-in-time: nothing after the damage replays, in this log or any later one. A torn
      // tail in a log that is not the last (one without a link to tell lost from damaged) is such
      // a point too: the later logs' writes came after it.
      report.walDamage = { fileName, ...(walReport.damage ?? { offsetBytes: walReport.tailOffsetBytes ?? 0, reason: walReport.tailReason ?? 'damaged' }) }
      report.tailReason = report.walDamage.reason
      report.tailFile = fileName
      stopped = true
    } else if (walReport.lostTailBytes !== undefined) {
      // This log lost an unsynced tail, so none of it was acknowledged as durable, and neither
      // was anything in a later log: a log's fsyncs wait for the older logs' (WalWriter.syncAfter).
      // Replaying the later logs would return writes without the lost ones made before them.
      report.tailReason ??= 'lost-tail'
      report.tailFile = fileName
      stopped = true
    }
    for (const [recordIndex, payload] of payloads.entries()) {
      const batch = decodeBatch(payload, fileName)
      if (!handlesDurable(batch.ops, hooks, versions.current)) {
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
