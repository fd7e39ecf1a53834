/**
 * IntegrityMonitor: the Db's record of what the integrity stack saw — verified ECC repairs (by
 * kind and by file), ECC regions a scrub found damaged, the auto-heal queue's work, patrol scrub
 * passes and key rotation rewrites —
 * and the source of `stats().integrity`. The codec reports repairs synchronously, from inside a
 * block read; the monitor only counts and hands the file to `onHealNeeded`, it never does I/O.
 * It also decides which files may be queued for a heal (docs/ecc.md §7): a repair by a read asks
 * at once, a scrub's check of a file asks once its outcome is known (`checkFile`), and a file
 * whose damage a heal cannot get past (unrecoverable) is not queued again until a scrub finds it
 * healable.
 *
 * Holds no key material: the description it reports carries suite and epochs only.
 */
import assert from 'node:assert/strict'
import type { IntegrityDescription } from '../integrity-options.ts'
import type { RepairEvent, RepairKind } from '../transform/mod.ts'
import { UNHEALABLE_FILE_COUNT_MAX } from './limits.ts'
import { failureOf, isDamageCode, type FileStatus, type VerifyReport } from './verify-table.ts'

/** `stats().integrity`. Counts are since open. */
export interface IntegrityStats {
  /** The configuration, without keys; 'none' / undefined for axes that are off. */
  compression: string
  /** Cipher suite, active key epoch and every epoch in the key chain (never the keys); undefined when encryption is off. */
  encryption: { suite: string; activeEpoch: number; epochs: number[] } | undefined
  /** The ECC scheme, 'none' when off. */
  ecc: string
  /** Whether a table with ECC-repaired blocks, or with an ECC region a scrub found damaged, is rewritten (auto-heal). */
  autoHeal: boolean
  /** Whether new writes and tables carry per-KV checksums (integrity.perKeyChecksums). */
  perKeyChecksums: boolean
  /** Blocks repaired by ECC and verified by checksum. */
  repairCount: number
  /** `repairCount` split by ECC scheme (xor, reed-solomon, sec-ded). */
  repairsByKind: Record<RepairKind, number>
  /** Distinct table files that had at least one block repaired. */
  filesRepairedCount: number
  /**
   * Blocks whose data verified but whose ECC region (check bytes or trailer) a scrub found not to
   * match it, summed over scrub passes (a block found again by a later pass counts again). Only
   * blocks of files that verified (clean, ecc-damaged or repaired): an unrecoverable file is not
   * healed from its parity, so its regions are not reported here.
   */
  eccRegionsDamagedCount: number
  /** Files queued for rewrite by auto-heal. */
  healQueuedCount: number
  /** Auto-heal rewrites that completed. */
  healCompletedCount: number
  /**
   * Auto-heal rewrites that failed (the original table stays live). One that failed on the file's
   * own damage is not queued again until a scrub finds the file healable.
   */
  healFailedCount: number
  /** Files waiting in the auto-heal queue now. */
  healPendingCount: number
  /** Message of the last failed auto-heal rewrite, if any. */
  lastHealError: string | undefined
  /** Tables compact() rewrote that were sealed under a key epoch other than the active one. */
  rekeyedTableCount: number
  /** Scrub passes (patrol and verify()) and the per-file outcome of the last one. */
  scrub: { passCount: number; lastPass: Record<FileStatus, number> | undefined }
}

export class IntegrityMonitor {
  description: IntegrityDescription = { compression: 'none', encryption: undefined, ecc: 'none' }
  autoHeal = false
  /** Set by the Db: queue `fileNumber` for rewrite. Called only when autoHeal is on. */
  onHealNeeded: ((fileNumber: number) => void) | undefined
  readonly #repairsByKind: Record<RepairKind, number> = { xor: 0, 'reed-solomon': 0, 'sec-ded': 0 }
  readonly #repairsByFile = new Map<number, number>()
  #filesRepairedCount = 0
  #eccRegionsDamagedCount = 0
  #heal = { queued: 0, completed: 0, failed: 0, pending: 0, lastError: undefined as string | undefined }
  #rekeyedTableCount = 0
  #scrubPassCount = 0
  #lastPass: Record<FileStatus, number> | undefined
  /** The file a scrub is checking now (checkFile): its repairs wait for the file's outcome. */
  #checkingFileNumber: number | undefined
  /**
   * Files not to queue for a heal, and why: a scrub found them unrecoverable, or a rewrite (a
   * heal, a blob GC relocation) failed on their damage. A rewrite copies every block, so it
   * cannot succeed while one is unreadable, and without this every read that repairs another
   * block of the file queued a rewrite that failed. The reason is kept apart because a scrub
   * does not know which blocks are live: a blob file it found unrecoverable may owe that to a
   * stale frame, which a GC relocation drops, while one whose rewrite failed met a live one.
   * In insertion order, so the oldest goes first past UNHEALABLE_FILE_COUNT_MAX.
   */
  readonly #unhealable = new Map<number, 'scrub' | 'rewrite'>()

  /** The codec's onRepair: count, then ask for a rewrite unless a scrub is checking the file. */
  recordRepair(event: RepairEvent): void {
    this.#repairsByKind[event.kind]++
    const previous = this.#repairsByFile.get(event.fileNumber) ?? 0
    if (previous === 0) this.#filesRepairedCount++
    this.#repairsByFile.set(event.fileNumber, previous + 1)
    if (event.fileNumber !== this.#checkingFileNumber) this.#requestHeal(event.fileNumber)
  }

  /**
   * A scrub found one block whose ECC region does not match its verified data:
   * count it. The heal (a rewrite writes every block with a fresh region) is asked for by
   * `checkFile` once the file's outcome is known.
   */
  recordEccRegionDamage(): void {
    this.#eccRegionsDamagedCount++
  }

  /**
   * Runs a scrub's check of one file (verifyTable, checkBlobFrames) and then decides its heal:
   * the repairs the check makes ask for none while it runs; afterwards a `repaired` or
   * `ecc-damaged` file is queued once, and an `unrecoverable` one is not (a rewrite would stop
   * at its bad block on every pass) and, when the rewrite reads every block (a table's does) and
   * the file's own bytes are why, is remembered as such, so that reads repairing its other
   * blocks do not queue it either. A blob file's rewrite reads its live frames only, and the
   * check cannot tell live from stale: with `rewriteReadsEveryBlock: false` an unrecoverable
   * file is not marked, so a read that repairs a live frame still queues the heal (a heal that
   * then fails marks it: recordHealFailure). Checks do not nest.
   * @example
   * ```ts
   * const check = monitor.checkFile(table.fileNumber, () => verifyTable(table, settings))
   * ```
   */
  checkFile<Check extends { status: FileStatus; code?: string }>(
    fileNumber: number, check: () => Check, { rewriteReadsEveryBlock = true }: { rewriteReadsEveryBlock?: boolean } = {},
  ): Check {
    assert.equal(this.#checkingFileNumber, undefined, 'a scrub checks one file at a time')
    this.#checkingFileNumber = fileNumber
    let checked: Check
    try {
      checked = check()
    } finally {
      this.#checkingFileNumber = undefined
    }
    if (checked.status === 'unrecoverable') {
      if (rewriteReadsEveryBlock && isDamageCode(checked.code)) this.#markUnhealable(fileNumber, 'scrub')
      return checked
    }
    // This pass read every block of the file and vouched for it: newer evidence than a mark.
    this.#unhealable.delete(fileNumber)
    if (checked.status !== 'clean') this.#requestHeal(fileNumber)
    return checked
  }

  /**
   * A rewrite of `fileNumber` (a heal, or a blob GC relocation) failed with `error`: when the
   * file's own bytes are why (a block that does not verify, not an I/O error), it is not queued
   * again, and `rewriteFailed` says so, until a scrub finds it healable or it is gone. The owner
   * of the rewrite counts the failure.
   */
  recordHealFailure(fileNumber: number, error: unknown): void {
    if (isDamageCode(failureOf(error).code)) this.#markUnhealable(fileNumber, 'rewrite')
  }

  /**
   * True when a rewrite of `fileNumber` failed on its damage (recordHealFailure) and no scrub has
   * found the file healable since: another rewrite would stop at the same block. Blob GC skips
   * such a file (docs/formats/blob-file.md §8).
   */
  rewriteFailed(fileNumber: number): boolean {
    return this.#unhealable.get(fileNumber) === 'rewrite'
  }

  #requestHeal(fileNumber: number): void {
    if (this.autoHeal && !this.#unhealable.has(fileNumber)) this.onHealNeeded?.(fileNumber)
  }

  #markUnhealable(fileNumber: number, reason: 'scrub' | 'rewrite'): void {
    // A scrub that finds the file unrecoverable again does not undo what a failed rewrite proved.
    const known = this.#unhealable.get(fileNumber) === 'rewrite' ? 'rewrite' : reason
    this.#unhealable.delete(fileNumber)
    if (this.#unhealable.size >= UNHEALABLE_FILE_COUNT_MAX) this.#unhealable.delete(this.#unhealable.keys().next().value!)
    this.#unhealable.set(fileNumber, known)
  }
  /** Repairs seen in `fileNumber` since open (verify diffs this around a file's pass). */
  repairCountOf(fileNumber: number): number {
    return this.#repairsByFile.get(fileNumber) ?? 0
  }

  /** Forgets per-file counts and marks of files that are gone (the totals stay). */
  forgetFile(fileNumber: number): void {
    this.#repairsByFile.delete(fileNumber)
    this.#unhealable.delete(fileNumber)
  }

  healQueued(pendingCount: number): void {
    this.#heal.queued++
    this.#heal.pending = pendingCount
  }

  healFinished(fileNumber: number, error: unknown, pendingCount: number): void {
    if (error === undefined) this.#heal.completed++
    else {
      this.#heal.failed++
      this.#heal.lastError = error instanceof Error ? error.message : String(error)
      this.recordHealFailure(fileNumber, error)
    }
    this.#heal.pending = pendingCount
  }

  tableRekeyed(): void {
    this.#rekeyedTableCount++
  }

  recordPass(report: VerifyReport): void {
    this.#scrubPassCount++
    this.#lastPass = { clean: report.cleanCount, 'ecc-damaged': report.eccDamagedCount, repaired: report.repairedCount, unrecoverable: report.unrecoverableCount }
  }

  stats(): IntegrityStats {
    return {
      compression: this.description.compression,
      encryption: this.description.encryption && { ...this.description.encryption, epochs: [...this.description.encryption.epochs] },
      ecc: this.description.ecc,
      autoHeal: this.autoHeal,
      perKeyChecksums: this.description.perKeyChecksums === true,
      repairCount: this.#repairsByKind.xor + this.#repairsByKind['reed-solomon'] + this.#repairsByKind['sec-ded'],
      repairsByKind: { ...this.#repairsByKind },
      filesRepairedCount: this.#filesRepairedCount,
      eccRegionsDamagedCount: this.#eccRegionsDamagedCount,
      healQueuedCount: this.#heal.queued,
      healCompletedCount: this.#heal.completed,
      healFailedCount: this.#heal.failed,
      healPendingCount: this.#heal.pending,
      lastHealError: this.#heal.lastError,
      rekeyedTableCount: this.#rekeyedTableCount,
      scrub: { passCount: this.#scrubPassCount, lastPass: this.#lastPass && { ...this.#lastPass } },
    }
  }
}
