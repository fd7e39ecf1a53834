/**
 * Verifying one table: read every block from disk (no block cache, so latent damage is found,
 * not a cached copy), check key order and the manifest's entry count, recompute the ECC region
 * of every block that verified, and classify the file as clean, repaired (ECC fixed at least one
 * block, verified by checksum), ecc-damaged (every block's data verified, but at least one
 * block's ECC region no longer matches it, so the next data error there would be unrecoverable)
 * or unrecoverable (a typed error: checksum mismatch without ECC, damage beyond the ECC, wrong
 * key, …).
 * Used by `Db.verify()`, the patrol scrub and `strata verify`; it never throws for a damaged file.
 */
import path from 'node:path'
import { SEQNO_MAX } from '../entry.ts'
import { StrataError } from '../errors.ts'
import { tableFileName, type TableMeta } from '../manifest/mod.ts'
import { TableReader } from '../table/mod.ts'
import { checkingEccRegions, type BlockCodec, type EccRegionDamage } from '../transform/mod.ts'
import type { Vfs } from '../vfs/mod.ts'

/**
 * A file's outcome, worst last: `repaired` wins over `ecc-damaged` (a repaired file's rewrite
 * renews its regions too) and `unrecoverable` over both. `ecc-damaged` is not a failure: no data
 * is lost, only the protection, and autoHeal queues the same rewrite a repair does.
 */
export type FileStatus = 'clean' | 'ecc-damaged' | 'repaired' | 'unrecoverable'

/** One file's result. */
export interface FileCheck {
  /** Number of the table file (`000012.sst` is 12). */
  fileNumber: number
  /** LSM level the table lives in (0 … 6). */
  level: number
  /** `clean`, `ecc-damaged` (data intact, an ECC region not), `repaired` (ECC fixed blocks) or `unrecoverable`. */
  status: FileStatus
  /** False only for `unrecoverable`. */
  ok: boolean
  /** Entries read before the end or the failure. */
  entries: number
  /** Blocks of this file the ECC repaired during the check. */
  repairCount: number
  /** Blocks of this file whose data verified but whose ECC region (check bytes or trailer) did not match it. */
  eccRegionsDamaged: number
  /** Message of the failure, for an unrecoverable file. */
  error?: string
  /** StrataError code of the failure, for an unrecoverable file. */
  code?: string
}

/** A whole pass. `ok` is false when any file is unrecoverable. */
export interface VerifyReport {
  /** One entry per live table, in level order. */
  files: FileCheck[]
  /** True when no file is unrecoverable. */
  ok: boolean
  /** Files whose every block verified as written. */
  cleanCount: number
  /** Files whose data verified but where at least one block's ECC region is damaged (status `ecc-damaged`). */
  eccDamagedCount: number
  /** Files where ECC repaired at least one block. */
  repairedCount: number
  /** Files with a block neither the checksum nor ECC could vouch for. */
  unrecoverableCount: number
}

/** Where the table lives and how to read it. */
export interface VerifyTableSettings {
  vfs: Vfs
  directory: string
  codec: BlockCodec | undefined
  /** Repairs seen so far in a file (IntegrityMonitor.repairCountOf); diffed around the check. */
  repairCountOf: (fileNumber: number) => number
  /** Told of each block whose ECC region is damaged (IntegrityMonitor.recordEccRegionDamage). */
  onEccRegionDamaged?: (damage: EccRegionDamage) => void
}

/** A file's status from what its check found, the worst first: unrecoverable, repaired, ecc-damaged, clean. */
export function fileStatusOf(found: { unrecoverable: number; repaired: number; eccDamaged: number }): FileStatus {
  return found.unrecoverable > 0 ? 'unrecoverable' : found.repaired > 0 ? 'repaired' : found.eccDamaged > 0 ? 'ecc-damaged' : 'clean'
}

/** A failed check's `code` (the StrataError's, else IO_ERROR) and `error` message. */
export function failureOf(error: unknown): { code: string; error: string } {
  return { code: error instanceof StrataError ? error.code : 'IO_ERROR', error: error instanceof Error ? error.message : String(error) }
}

/**
 * Codes that say a file's own bytes cannot be read under this open's configuration: a re-read
 * gives the same answer, unlike `IO_ERROR` (the device) or `CLOSED`. Key errors belong here too,
 * since the key chain changes only with a reopen.
 */
const DAMAGE_CODES: ReadonlySet<string> = new Set(['CORRUPTION', 'CHECKSUM_MISMATCH', 'UNRECOVERABLE', 'DECRYPT_FAILED', 'UNKNOWN_KEY_EPOCH', 'MISSING_KEY', 'UNSUPPORTED_FORMAT_VERSION'])

/** True when a failure's `code` (failureOf) says the file is damaged, so retrying cannot help. */
export function isDamageCode(code: string | undefined): boolean {
  return code !== undefined && DAMAGE_CODES.has(code)
}

/**
 * Reads every block of `table` and classifies it.
 * @example
 * ```ts
 * const check = verifyTable(table, { vfs, directory, codec, repairCountOf: (n) => monitor.repairCountOf(n) })
 * if (check.status === 'unrecoverable') console.log(check.code, check.error)
 * ```
 */
export function verifyTable(table: TableMeta, settings: VerifyTableSettings): FileCheck {
  const repairsBefore = settings.repairCountOf(table.fileNumber)
  // Told once the file's outcome is known: an unrecoverable file is not healed from its parity,
  // so its damaged regions are not counted (stats().integrity.eccRegionsDamagedCount).
  const damages: EccRegionDamage[] = []
  const codec = checkingEccRegions(settings.codec, (damage) => damages.push(damage))
  const result = (status: FileStatus, entries: number, error?: unknown): FileCheck => {
    const repairCount = settings.repairCountOf(table.fileNumber) - repairsBefore
    const check: FileCheck = { fileNumber: table.fileNumber, level: table.level, status, ok: status !== 'unrecoverable', entries, repairCount, eccRegionsDamaged: damages.length }
    if (error !== undefined) Object.assign(check, failureOf(error))
    return check
  }
  let entries = 0
  try {
    entries = readAllEntries(table, settings.vfs, settings.directory, codec)
  } catch (error) {
    return result('unrecoverable', entries, error)
  }
  for (const damage of damages) settings.onEccRegionDamaged?.(damage)
  return result(fileStatusOf({ unrecoverable: 0, repaired: settings.repairCountOf(table.fileNumber) - repairsBefore, eccDamaged: damages.length }), entries)
}

/** Counts the entries, checking order; throws what the read throws or CORRUPTION. */
function readAllEntries(table: TableMeta, vfs: Vfs, directory: string, codec: BlockCodec | undefined): number {
  const fileName = tableFileName(table.fileNumber)
  const reader = TableReader.open(vfs, path.join(directory, fileName), table.fileNumber, { codec })
  let entries = 0
  try {
    const iterator = reader.iterator()
    try {
      let previousKey = ''
      let previousSeqno = SEQNO_MAX
      for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
        const key = iterator.key()
        const seqno = iterator.seqno()
        if (key < previousKey || (key === previousKey && seqno >= previousSeqno)) {
          throw new StrataError('CORRUPTION', `Cannot verify ${fileName}: keys out of order at entry ${entries}`, { details: { fileName } })
        }
        previousKey = key
        previousSeqno = seqno
        entries++
      }
    } finally {
      iterator.close()
    }
  } finally {
    reader.close()
  }
  if (entries !== table.entryCount) {
    throw new StrataError('CORRUPTION', `Cannot verify ${fileName}: ${entries} entries, manifest says ${table.entryCount}`, { details: { fileName } })
  }
  return entries
}

/** How many of `files` (tables, or blob files: BlobFileCheck) have each status; `ok` when none is unrecoverable. */
export function statusCounts(files: readonly { status: FileStatus }[]): Omit<VerifyReport, 'files'> {
  const count = (status: FileStatus) => files.filter((file) => file.status === status).length
  const unrecoverableCount = count('unrecoverable')
  return { ok: unrecoverableCount === 0, cleanCount: count('clean'), eccDamagedCount: count('ecc-damaged'), repairedCount: count('repaired'), unrecoverableCount }
}

/** Sums a list of checks into a report. */
export function summarize(files: FileCheck[]): VerifyReport {
  return { files, ...statusCounts(files) }
}
