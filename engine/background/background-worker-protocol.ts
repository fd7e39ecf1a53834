/**
 * What crosses between the database and its background worker (structured clone): the settings
 * the worker starts with, one request per flush or compaction, one reply per request, and for a
 * compaction the worker's asks for each output's file number with the database's answers.
 */
import type { IntegrityOptions } from '../integrity-options.ts'
import { integrityCodecOf } from '../options.ts'
import { IntegrityMonitor } from '../scrub/mod.ts'
import { LogCipher } from '../wal/mod.ts'
import type { StrataErrorCode, StrataErrorDetails } from '../errors.ts'
import type { Vfs } from '../vfs/vfs.ts'
import type { RepairEvent } from '../transform/mod.ts'
import type { WalFlushContext, WalFlushJob, WalFlushResult } from './wal-flush.ts'
import type { CompactionJob } from '../compaction/compact-tables.ts'
import type { FileCompactionResult } from '../compaction/compact-from-files.ts'

/**
 * The open options a table writer and a log reader need, as given to open() (validated there).
 * `integrity` carries the encryption keys of an encrypted store: workerData, never logged.
 */
export interface BackgroundWorkerSettings {
  blockSizeBytes: number
  blockRestartInterval: number
  bloomBitsPerKey: number
  integrity: IntegrityOptions | undefined
}

/** A job for the worker, or the file number the database allocated for a compaction's next output. */
export type BackgroundWorkerRequest =
  | { jobId: number; job: WalFlushJob }
  | { jobId: number; compaction: CompactionJob }
  | { jobId: number; outputFileNumber: number }

/**
 * A job's end (its result, with the ECC repairs its reads made, or its error), a compaction's
 * ask for its next output's file number, or the JIT warm-up's progress (jit-warm-up.ts): the
 * rounds done so far, and whether it ended (all rounds, or stopped by a job).
 */
export type BackgroundWorkerReply =
  | { jobId: number; result: WalFlushResult | FileCompactionResult; repairs: RepairEvent[] }
  | { jobId: number; error: { code?: StrataErrorCode; message: string; details?: StrataErrorDetails } }
  | { jobId: number; outputFileNumberWanted: true }
  | { warmUpRoundCount: number; warmUpEnded: boolean }

/**
 * Builds what flushFromWal and compactFromFiles need from the settings: the codec and log
 * cipher open() would build. The codec tells `onRepair` of each verified ECC repair (a
 * compaction's reads of its inputs can make them; a flush only encodes).
 */
export function flushContextOf(settings: BackgroundWorkerSettings, vfs: Vfs, onRepair: (event: RepairEvent) => void = () => undefined): WalFlushContext {
  const integrity = new IntegrityMonitor()
  return {
    settings: {
      vfs,
      blockCodec: integrityCodecOf(settings.integrity, integrity, onRepair),
      blockSizeBytes: settings.blockSizeBytes,
      blockRestartInterval: settings.blockRestartInterval,
      bloomBitsPerKey: settings.bloomBitsPerKey,
      integrity,
    },
    cipher: LogCipher.fromEncryptionOption(settings.integrity?.encryption),
  }
}
