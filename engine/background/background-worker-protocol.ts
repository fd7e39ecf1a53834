/**
 * What crosses between the databases and the background worker thread they share (structured
 * clone): the settings the thread's JIT warm-up starts with (workerData), each store's settings
 * (registered before its first job, dropped at its close), one request per flush or compaction
 * naming its store, one reply per request, and for a compaction the thread's asks for each
 * output's file number with the owning database's answers.
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
 * The open options a table writer and a log reader need, as given to open() (validated there,
 * and copied there: placement.ts). `integrity` carries the encryption keys of an encrypted store:
 * sent in its registration, never logged.
 */
export interface BackgroundWorkerSettings {
  blockSizeBytes: number
  blockRestartInterval: number
  bloomBitsPerKey: number
  integrity: IntegrityOptions | undefined
}

/**
 * A store's settings, registered before its first job (`storeId` is unique in the process); the
 * drop of a closed store's settings; a job for a registered store (`jobId` is unique in the
 * thread); or the answer to a compaction's ask for its next output's file number: the number
 * the database allocated, or a refusal when the job's store closed meanwhile (the compaction then
 * fails in the thread; its partial outputs are orphans the next open removes).
 */
export type BackgroundWorkerRequest =
  | { storeId: number; settings: BackgroundWorkerSettings }
  | { storeId: number; unregister: true }
  | { jobId: number; storeId: number; job: WalFlushJob }
  | { jobId: number; storeId: number; compaction: CompactionJob }
  | { jobId: number; outputFileNumber: number }
  | { jobId: number; outputFileNumberRefused: true }

/**
 * A job's end (its result, with the ECC repairs its own reads made, or its error), a
 * compaction's ask for its next output's file number, a store's settings dropped once the jobs
 * it had in the thread ended, or the JIT warm-up's progress (jit-warm-up.ts): the rounds done so
 * far, and whether it ended (all rounds, or stopped by a job of any store).
 */
export type BackgroundWorkerReply =
  | { jobId: number; result: WalFlushResult | FileCompactionResult; repairs: RepairEvent[] }
  | { jobId: number; error: { code?: StrataErrorCode; message: string; details?: StrataErrorDetails } }
  | { jobId: number; outputFileNumberWanted: true }
  | { storeId: number; unregistered: true }
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
