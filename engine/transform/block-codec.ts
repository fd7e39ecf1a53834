/**
 * The block transform seam: everything that turns a raw block (a table's data, index, filter
 * or properties block; a manifest block; a blob-file frame body) into the bytes on disk, and back.
 *
 * Writers and readers of tables, manifests and blob files depend only on this interface, so the
 * integrity stack (checksum x zstd x AEAD x ECC, issue #3) plugs in without touching them.
 * `decode` verifies before anything else touches the bytes and never returns corrupt data: it
 * returns the exact raw bytes `encode` was given, or throws a StrataError
 * (`CHECKSUM_MISMATCH`, `CORRUPTION`, `UNSUPPORTED_FORMAT_VERSION`, `DECRYPT_FAILED`, …).
 */

/** What identifies a block; encryption binds these into its AAD, errors name them. */
export interface BlockContext {
  /** The file number of the table / manifest / blob file holding the block (bound into the AAD). */
  fileNumber: number
  /**
   * The file the block is read from when that is not `fileNumber`: a blob frame GC copied
   * verbatim keeps its origin's number for the AAD. Repairs and damage are reported against it,
   * so the file that holds the bytes is the one healed.
   */
  holderFileNumber?: number
  /** The block's kind (BlockType in block-type.ts), as written into the block header. */
  blockType: number
  /** For error messages and forensics only; never bound into the format. */
  fileName: string
  /** Where the block starts in its file; for error messages only. */
  offsetBytes: number
  /**
   * LSM level of the table being written (0 for flushes, the output level for compactions);
   * undefined outside tables. Picks the compression of a per-level policy on encode only;
   * never written or bound into the format.
   */
  level?: number
  /**
   * A condition an ECC repair must also meet before it is accepted, reported and decoded, asked
   * of each candidate (header and payload, repaired) whose checksum already passed. For a blob
   * frame whose own checksum covers the envelope header: the repaired header must make that
   * checksum match too (blobtree/blob-file/reader.ts). Never consulted for a block that verifies
   * as read, nor by a codec without ECC.
   */
  acceptRepair?: (repaired: Uint8Array) => boolean
}

/** Raw block bytes ⇄ on-disk block bytes. */
export interface BlockCodec {
  /** Returns the on-disk bytes of `raw` (a new buffer; `raw` may be reused by the caller after). */
  encode(raw: Uint8Array, context: BlockContext): Uint8Array
  /**
   * Verifies and decodes the exact on-disk bytes of one block. The result may be a view into
   * `onDisk`; callers that keep it must not reuse `onDisk`.
   */
  decode(onDisk: Uint8Array, context: BlockContext): Uint8Array
}

/** Block kinds; stored as a u8 in the block header. Values are frozen once written. */
export const BlockType = {
  Data: 1,
  Index: 2,
  Filter: 3,
  Properties: 4,
  RangeTombstones: 5,
  Manifest: 6,
  BlobFrame: 7,
  BlobFileFooter: 8,
} as const
export type BlockType = (typeof BlockType)[keyof typeof BlockType]
