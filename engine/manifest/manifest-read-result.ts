/**
 * What reading a manifest file yields, whatever its format version: the edit payloads in
 * order, the torn tail that was dropped and the damaged copies that were repaired.
 */
import type { WalTailReason } from '../wal/mod.ts'

/**
 * Why the tail of a manifest was dropped as a torn append: the log framing's reasons
 * (docs/formats/wal.md §4), or `zero-filled` for a tail of zero bytes (a file system that
 * extended the file but never wrote the data).
 */
export type ManifestTailReason = WalTailReason | 'zero-filled'

/** The records of a manifest and what the read found. */
export interface ManifestReadResult {
  /**
   * 1 (plain log framing), 2 (the log framing, encrypted), 3 (hardened: mirrored records with
   * XXH3-128) or 4 (hardened, record payloads sealed).
   */
  formatVersion: number
  /** True for formats 2 and 4: every record was authenticated and decrypted. */
  encrypted: boolean
  /** Encoded version edits in file order; record 0 is the snapshot. */
  payloads: Uint8Array[]
  /** Damaged copies replaced by their intact mirror; always 0 for format version 1. */
  repairedCopyCount: number
  /** Bytes of a torn tail that were ignored (0 when clean). */
  tailBytesDropped: number
  tailReason?: ManifestTailReason
}
