/**
 * The port through which `strata verify` and `strata scrub` check blob files: the engine owns the
 * report shape and the command, the blob layer owns the file format, so the checker is handed in
 * (bin/strata.ts passes blobtree's `checkBlobFile`) and engine/ never imports blobtree/
 * (DESIGN.md, Layout). `BlobDb.verify()` reports the same shape from the same walk.
 */
import type { FileStatus } from '../scrub/mod.ts'
import type { BlockCodec } from '../transform/mod.ts'
import type { Vfs } from '../vfs/mod.ts'

/** One frame of a blob file that did not verify as written. */
export interface FrameCheck {
  /** Where the frame starts in its file. */
  offsetBytes: number
  /** The whole frame: header, key and body. */
  sizeBytes: number
  /** The frame's key as `describeKey` prints it (the frame checksum vouched for it). */
  key: string
  /** `ecc-damaged` (data intact, its ECC region not), `repaired` (by ECC) or `unrecoverable`. */
  status: Exclude<FileStatus, 'clean'>
  /** StrataError code, for an unrecoverable frame. */
  code?: string
  /** Message of the failure (names file, offset and key), for an unrecoverable frame. */
  error?: string
}

/** One blob file's outcome, classified like a table's (FileStatus). */
export interface BlobFileCheck {
  /** Number of the blob file (`000012.blob` is 12). */
  fileNumber: number
  /**
   * False for a file the manifest lists without a size: the active file of a store that is open
   * or crashed. Its frames are checked up to the first one that is not whole and verified
   * (`stoppedAtBytes`); what follows is a write in progress or cut short, not damage.
   */
  sealed: boolean
  status: FileStatus
  /** False only for `unrecoverable`. */
  ok: boolean
  /** Frames walked (header and frame checksum verified), whether or not their bodies decoded. */
  frames: number
  /** Frame bodies the ECC repaired during the check. */
  repairCount: number
  /** Frame bodies whose data verified but whose ECC region did not match it. */
  eccRegionsDamaged: number
  /** Every frame that was not clean, in file order. */
  damagedFrames: FrameCheck[]
  /**
   * Where the walk stopped before the end of the frames: a sealed file whose frame structure is
   * broken there (unrecoverable, the rest is unchecked), or an unsealed file's unverified tail.
   */
  stoppedAtBytes?: number
  /** Why the walk stopped at `stoppedAtBytes`, or the first failure of an unrecoverable file. */
  error?: string
  /** StrataError code of the first failure, for an unrecoverable file. */
  code?: string
}

/** What a checker is asked to check. */
export interface BlobFileCheckRequest {
  vfs: Vfs
  directory: string
  fileNumber: number
  /** True when the manifest lists the file with its final size (a footer must be there). */
  sealed: boolean
  /** Decodes the bodies; reports ECC repairs to whoever built it. */
  codec: BlockCodec
  /** Repairs seen so far in a file (IntegrityMonitor.repairCountOf); diffed around each frame. */
  repairCountOf: (fileNumber: number) => number
}

/** Checks one blob file frame by frame; never throws for damage, it is reported. */
export type BlobFileChecker = (request: BlobFileCheckRequest) => BlobFileCheck
