/**
 * Which logs recovery replays, how much of each, and where it stops (docs/formats/wal.md §4,
 * §4.1), as one walk that both users share: `recoverWals` (engine/recovery.ts), which replays
 * what it yields, and `strata wal` (engine/forensics/wal-survey.ts), which predicts an open
 * without changing a byte. One set of rules, so the prediction cannot drift from the open.
 */
import path from 'node:path'
import { readLogFileHeader, readWal, type LogCipher, type WalReadResult } from './wal/mod.ts'
import { StrataError, isStrataError } from './errors.ts'
import type { Vfs } from './vfs/mod.ts'
import { walFileName } from './manifest/mod.ts'
import type { ResolvedOptions } from './options.ts'

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

/** Where point-in-time replay stopped, as `stats().recovery.walDamage` names it. */
export interface RecoveryDamage {
  /** The damaged record's offset (0 for a missing predecessor or an unreadable header). */
  offsetBytes: number
  /** The reader's reason (`checksum-mismatch`, …), `predecessor-missing` or `header-damaged`. */
  reason: string
}

/** One live log as recovery reaches it, oldest first. */
export interface RecoveryLogStep {
  logNumber: number
  fileName: string
  /** The newest log recovery looks at. */
  isLastLog: boolean
  /**
   * Its records up to where replay stops in it, and the reader's report; undefined for a log
   * that does not replay at all (it comes after the stop, or is where the stop is found before
   * any of it is read: a missing predecessor, an unreadable header).
   */
  read?: WalReadResult
  /** Point-in-time only: replay stops here, after `read`'s records (if any). Set on one step. */
  damage?: RecoveryDamage
  /**
   * This log lost an unsynced tail (shorter than its successor's link, or zero to it): it
   * replays, and no later log does.
   */
  lostTail: boolean
}

/** What the walk needs: the logs, how to read them, and the open's `walRecovery` mode. */
export interface RecoveryWalkInput {
  vfs: Vfs
  directory: string
  /** Live log numbers (at least the manifest's log number), ascending. */
  logNumbers: readonly number[]
  /** The manifest's log number: a link to a log below it names a flushed log. */
  firstLogNumber: number
  cipherOf: (logNumber: number) => LogCipher | undefined
  mode: ResolvedOptions['walRecovery']
  /**
   * Cut torn tails from the files, as an open does; false reports them only (a read-only look:
   * the steps are the same).
   */
  cutTornTails: boolean
}

/**
 * The walk over the live logs: one step per log, oldest first; after the step where replay
 * stops, every later log comes as a step without `read` (dropped). The consumer may stop replay
 * inside the step it was just given (`stopAfterCurrent`: a record whose blob bytes never reached
 * the disk); the logs after it then come as dropped, unread.
 * @throws {StrataError} from iteration: what the open fails with in this mode (`CORRUPTION`
 * for damage outside point-in-time, a missing predecessor, `DECRYPT_FAILED`, `IO_ERROR`, …).
 */
export class RecoveryWalk implements AsyncIterable<RecoveryLogStep> {
  readonly #input: RecoveryWalkInput
  #stopped = false

  constructor(input: RecoveryWalkInput) {
    this.#input = input
  }

  /** Replay stopped inside the last step yielded: later logs are dropped. */
  stopAfterCurrent(): void {
    this.#stopped = true
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RecoveryLogStep> {
    const { vfs, directory, logNumbers, firstLogNumber, cipherOf, mode, cutTornTails } = this.#input
    const pointInTime = mode === 'point-in-time'
    const { finalSizes, missingBefore } = finalSizesOf(vfs, directory, logNumbers, firstLogNumber, cipherOf, pointInTime)
    for (const [position, logNumber] of logNumbers.entries()) {
      const fileName = walFileName(logNumber)
      const isLastLog = position === logNumbers.length - 1
      const step: RecoveryLogStep = { logNumber, fileName, isLastLog, lostTail: false }
      if (this.#stopped) {
        yield step
        continue
      }
      if (logNumber === missingBefore) {
        this.#stopped = true
        yield { ...step, damage: { offsetBytes: 0, reason: 'predecessor-missing' } }
        continue
      }
      try {
        step.read = await readWal(vfs, path.join(directory, fileName), {
          // Point-in-time leaves a tail it stops at as found; only the last log's torn tail is cut.
          onTornTail: mode === 'fail' ? 'fail' : (pointInTime && !isLastLog) || !cutTornTails ? 'report' : 'truncate',
          cipher: cipherOf(logNumber),
          finalSizeBytes: finalSizes.get(logNumber),
          onDamage: pointInTime ? 'stop' : 'throw',
        })
      } catch (error) {
        // A header damaged beyond reading: point-in-time stops before this log.
        if (!pointInTime || !isStrataError(error, 'CORRUPTION')) throw error
        this.#stopped = true
        yield { ...step, damage: { offsetBytes: 0, reason: 'header-damaged' } }
        continue
      }
      const { report } = step.read
      if (report.damage !== undefined || (pointInTime && !isLastLog && report.tailBytesDropped > 0 && report.lostTailBytes === undefined)) {
        // Point-in-time: nothing after the damage replays, in this log or any later one. A torn
        // tail in a log that is not the last (one without a link to tell lost from damaged) is such
        // a point too: the later logs' writes came after it.
        step.damage = report.damage ?? { offsetBytes: report.tailOffsetBytes ?? 0, reason: report.tailReason ?? 'damaged' }
        this.#stopped = true
      } else if (report.lostTailBytes !== undefined) {
        // This log lost an unsynced tail, so none of it was acknowledged as durable, and neither
        // was anything in a later log: a log's fsyncs wait for the older logs' (WalWriter.syncAfter).
        // Replaying the later logs would return writes without the lost ones made before them.
        step.lostTail = true
        this.#stopped = true
      }
      yield step
    }
  }
}
