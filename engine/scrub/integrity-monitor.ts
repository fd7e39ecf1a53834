/**
 * IntegrityMonitor: the Db's record of what the integrity stack saw — verified ECC repairs (by
 * kind and by file), ECC regions a scrub found damaged, the auto-heal queue's work, patrol scrub
 * passes and key rotation rewrites —
 * and the source of `stats().integrity`. The codec reports repairs synchronously, from inside a
 * block read; the monitor only counts and hands the file to `onHealNeeded`, it never does I/O.
 *
 * Holds no key material: the description it reports carries suite and epochs only.
 */
import type { IntegrityDescription } from '../integrity-options.ts'
import type { RepairEvent, RepairKind } from '../transform/mod.ts'
import type { FileStatus, VerifyReport } from './verify-table.ts'

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
  /** Auto-heal rewrites that failed (the original table stays live). */
  healFailedCount: number
  /** Files waiting in the auto-heal queue now. */
  healPendingCount: number
  /** Message of the last failed auto-heal rewrite, if any. */
  lastHealError: string | undefined
  /** Tables rewritten by compact() because they were sealed under an older key epoch. */
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

  /** The codec's onRepair: count, then ask for a rewrite. */
  recordRepair(event: RepairEvent): void {
    this.#repairsByKind[event.kind]++
    const previous = this.#repairsByFile.get(event.fileNumber) ?? 0
    if (previous === 0) this.#filesRepairedCount++
    this.#repairsByFile.set(event.fileNumber, previous + 1)
    if (this.autoHeal) this.onHealNeeded?.(event.fileNumber)
  }

  /**
   * A scrub found one block of `fileNumber` whose ECC region does not match its verified data:
   * count, then ask for a rewrite, exactly as a repair does (the rewrite writes every block with
   * a fresh region).
   */
  recordEccRegionDamage(fileNumber: number): void {
    this.#eccRegionsDamagedCount++
    if (this.autoHeal) this.onHealNeeded?.(fileNumber)
  }
  /** Repairs seen in `fileNumber` since open (verify diffs this around a file's pass). */
  repairCountOf(fileNumber: number): number {
    return this.#repairsByFile.get(fileNumber) ?? 0
  }

  /** Forgets per-file counts of files that are gone (the totals stay). */
  forgetFile(fileNumber: number): void {
    this.#repairsByFile.delete(fileNumber)
  }

  healQueued(pendingCount: number): void {
    this.#heal.queued++
    this.#heal.pending = pendingCount
  }

  healFinished(error: unknown, pendingCount: number): void {
    if (error === undefined) this.#heal.completed++
    else {
      this.#heal.failed++
      this.#heal.lastError = error instanceof Error ? error.message : String(error)
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
