/**
 * Blob GC accounting: per blob file, how many of its frame bytes are still referenced (live) and
 * how many were dropped by compaction (stale); from that, which files to relocate, which are
 * wholly dead, and the space amplification of the blob files. No I/O and no clock: the state
 * changes only through the calls below, so the manifest can replay it exactly (it records each
 * file's BlobFileMeta and the stale deltas of each compaction).
 *
 * Staleness counts on-disk frame bytes (handle.frameSizeBytes), the bytes GC can reclaim; a
 * file is dead when every frame in it is stale, judged by count so rounding cannot hide a frame.
 */
import { StrataError } from '../../engine/errors.ts'
import type { BlobHandle } from '../handle.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES, type BlobFileFooter } from '../blob-file/format.ts'

/** A finished blob file as the manifest records it (what BlobFileWriter.finish() returns). */
export interface BlobFileMeta {
  fileNumber: number
  sizeBytes: number
  valueCount: number
  totalValueBytes: number
}

/** Frames of one file made stale by one compaction; what a VersionEdit records. */
export interface StaleDelta {
  fileNumber: number
  staleBytes: number
  staleCount: number
}

/** What the accounting knows about one file. */
export interface BlobFileGarbage {
  fileNumber: number
  /**
   * False for the file still being written: its size is not final, so size, live bytes and
   * ratio read 0 and it is never picked or dead; its stale counters are real.
   */
  sealed: boolean
  sizeBytes: number
  /** Bytes of all frames (the file minus its header and footer). */
  frameBytes: number
  valueCount: number
  staleBytes: number
  staleCount: number
  liveBytes: number
  /** staleBytes / frameBytes, 0 for a file without frames. */
  stalenessRatio: number
  /** Every frame stale: the file can go once no snapshot or iterator can reach it. */
  dead: boolean
}

/** Totals over every tracked blob file, for `stats()`. */
export interface BlobSpaceStats {
  fileCount: number
  fileBytesTotal: number
  liveBytes: number
  staleBytes: number
  /** fileBytesTotal / liveBytes: 1 with no garbage; Infinity when only garbage remains. */
  spaceAmplification: number
}

/** Tuning of relocation picking. */
export interface BlobGcOptions {
  /**
   * Relocate a file once this fraction of its frame bytes is stale. Default 0.25: the space
   * overhead of the blob files stays near 1 / (1 − 0.25) ≈ 1.33x at worst.
   */
  stalenessThreshold?: number
  /**
   * Only the oldest fraction of files (by file number) is eligible. Default 1.0, so the
   * threshold bounds every finished file; RocksDB's 0.25 rewrites less but lets young files
   * hold garbage until they age.
   */
  ageCutoffFraction?: number
  /** Stop adding files once their live bytes (to copy) reach this. Default 256 MiB; ≥ 1 file. */
  relocationBytesMax?: number
}

/** What one GC round should do. */
export interface RelocationPick {
  /** Oldest first. */
  fileNumbers: number[]
  /** Live bytes the relocation copies. */
  liveBytesToMove: number
  /** Stale bytes the relocation reclaims (once the old files are deleted). */
  staleBytesToReclaim: number
}

const GC_DEFAULTS = { stalenessThreshold: 0.25, ageCutoffFraction: 1, relocationBytesMax: 256 * 1024 * 1024 }

/** The meta of sealed blob file `fileNumber`, read off its footer. */
export function sealedMetaOf(fileNumber: number, footer: BlobFileFooter): BlobFileMeta {
  return { fileNumber, sizeBytes: FILE_HEADER_SIZE_BYTES + footer.framesSizeBytes + FOOTER_SIZE_BYTES, valueCount: footer.frameCount, totalValueBytes: footer.rawValueBytesTotal }
}

/** Frame bytes of a finished file: everything between file header and footer. */
export function frameBytesOf(meta: BlobFileMeta): number {
  return meta.sizeBytes - FILE_HEADER_SIZE_BYTES - FOOTER_SIZE_BYTES
}

/** Folds dropped handles into one StaleDelta per file, sorted by file number. */
export function staleDeltasOf(handles: Iterable<BlobHandle>): StaleDelta[] {
  const byFile = new Map<number, StaleDelta>()
  for (const handle of handles) {
    let delta = byFile.get(handle.fileNumber)
    if (delta === undefined) {
      delta = { fileNumber: handle.fileNumber, staleBytes: 0, staleCount: 0 }
      byFile.set(handle.fileNumber, delta)
    }
    delta.staleBytes += handle.frameSizeBytes
    delta.staleCount += 1
  }
  return [...byFile.values()].sort((a, b) => a.fileNumber - b.fileNumber)
}

/** Space figures over `files`. */
export function spaceStatsOf(files: Iterable<BlobFileGarbage>): BlobSpaceStats {
  const stats = { fileCount: 0, fileBytesTotal: 0, liveBytes: 0, staleBytes: 0, spaceAmplification: 1 }
  for (const file of files) {
    stats.fileCount++
    stats.fileBytesTotal += file.sizeBytes
    stats.liveBytes += file.liveBytes
    stats.staleBytes += file.staleBytes
  }
  if (stats.liveBytes > 0) stats.spaceAmplification = stats.fileBytesTotal / stats.liveBytes
  else if (stats.fileBytesTotal > 0) stats.spaceAmplification = Number.POSITIVE_INFINITY
  return stats
}

function checkFraction(name: string, value: number): void {
  if (!(value > 0 && value <= 1)) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot pick blob files: ${name} ${value} is not in (0, 1]`, { details: { option: name } })
  }
}

/**
 * Picks files to relocate: not dead (dead files are deleted, not copied), not protected (e.g.
 * the file being written), among the oldest `ageCutoffFraction` of all files, with a staleness
 * ratio at or above the threshold; oldest first, until `relocationBytesMax` live bytes.
 * @throws {StrataError} `INVALID_ARGUMENT` for an option out of range.
 */
export function pickRelocation(files: readonly BlobFileGarbage[], options: BlobGcOptions = {}, protectedFileNumbers: ReadonlySet<number> = new Set()): RelocationPick {
  const { stalenessThreshold, ageCutoffFraction, relocationBytesMax } = { ...GC_DEFAULTS, ...options }
  checkFraction('stalenessThreshold', stalenessThreshold)
  checkFraction('ageCutoffFraction', ageCutoffFraction)
  if (!(relocationBytesMax > 0)) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot pick blob files: relocationBytesMax ${relocationBytesMax} is not positive`, { details: { option: 'relocationBytesMax' } })
  }
  const byAge = [...files].sort((a, b) => a.fileNumber - b.fileNumber)
  const eligible = byAge.slice(0, Math.ceil(byAge.length * ageCutoffFraction))
  const pick: RelocationPick = { fileNumbers: [], liveBytesToMove: 0, staleBytesToReclaim: 0 }
  for (const file of eligible) {
    if (!file.sealed || file.dead || protectedFileNumbers.has(file.fileNumber) || file.stalenessRatio < stalenessThreshold) continue
    if (pick.fileNumbers.length > 0 && pick.liveBytesToMove + file.liveBytes > relocationBytesMax) break
    pick.fileNumbers.push(file.fileNumber)
    pick.liveBytesToMove += file.liveBytes
    pick.staleBytesToReclaim += file.staleBytes
  }
  return pick
}

/**
 * The accounting state: tracked files and their stale counters.
 * @example
 * ```ts
 * const gc = new BlobGcAccounting()
 * gc.addFile(await writer.finish())
 * gc.applyStaleDeltas(staleDeltasOf(droppedHandles))   // after a compaction commits
 * const { fileNumbers } = pickRelocation(gc.files(), { stalenessThreshold: 0.25 })
 * ```
 */
export class BlobGcAccounting {
  /** `meta` is undefined while the file is being written. */
  readonly #files = new Map<number, { meta: BlobFileMeta | undefined; staleBytes: number; staleCount: number }>()

  /**
   * Starts tracking the file being written. With write-once values, a handle into it can reach
   * a table and be dropped by compaction before the file is finished, so its stale counters
   * must exist from the start; `sealFile` later checks them against the final size.
   * @throws {StrataError} `INVALID_ARGUMENT` when the file is tracked already.
   */
  addActiveFile(fileNumber: number): void {
    this.#checkUntracked(fileNumber)
    this.#files.set(fileNumber, { meta: undefined, staleBytes: 0, staleCount: 0 })
  }

  /**
   * Records the final meta of an active file (what BlobFileWriter.finish() returned).
   * @throws {StrataError} `INVALID_ARGUMENT` when the file is not active or its meta is
   * impossible; `CORRUPTION` when more is stale than the finished file holds.
   */
  sealFile(meta: BlobFileMeta): void {
    const file = this.#files.get(meta.fileNumber)
    if (file === undefined || file.meta !== undefined) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot seal blob file ${meta.fileNumber}: it is not an active file`, { details: { fileNumber: meta.fileNumber } })
    }
    checkMeta(meta)
    checkStale(meta, file.staleBytes, file.staleCount)
    file.meta = { ...meta }
  }

  /**
   * Starts tracking a finished file.
   * @throws {StrataError} `INVALID_ARGUMENT` when the file is tracked already or its meta is impossible.
   */
  addFile(meta: BlobFileMeta): void {
    this.#checkUntracked(meta.fileNumber)
    checkMeta(meta)
    this.#files.set(meta.fileNumber, { meta: { ...meta }, staleBytes: 0, staleCount: 0 })
  }

  /** Stops tracking a file (deleted after relocation or once dead). */
  removeFile(fileNumber: number): void {
    this.#files.delete(fileNumber)
  }

  /**
   * Adds stale deltas (from one compaction, or replayed from the manifest). All or nothing.
   * @throws {StrataError} `CORRUPTION` when a delta names an untracked file or would make more
   * bytes or frames stale than the file holds (a handle dropped twice, or a bad edit).
   */
  applyStaleDeltas(deltas: readonly StaleDelta[]): void {
    const updated = new Map<number, { staleBytes: number; staleCount: number }>()
    for (const delta of deltas) {
      const file = this.#files.get(delta.fileNumber)
      if (file === undefined) {
        throw new StrataError('CORRUPTION', `Cannot account stale bytes of blob file ${delta.fileNumber}: file is not tracked`, { details: { fileNumber: delta.fileNumber } })
      }
      const current = updated.get(delta.fileNumber) ?? { staleBytes: file.staleBytes, staleCount: file.staleCount }
      const next = { staleBytes: current.staleBytes + delta.staleBytes, staleCount: current.staleCount + delta.staleCount }
      if (file.meta !== undefined) checkStale(file.meta, next.staleBytes, next.staleCount)
      updated.set(delta.fileNumber, next)
    }
    for (const [fileNumber, next] of updated) Object.assign(this.#files.get(fileNumber)!, next)
  }

  /** The garbage figures of one file, or undefined when it is not tracked. */
  file(fileNumber: number): BlobFileGarbage | undefined {
    const file = this.#files.get(fileNumber)
    if (file === undefined) return undefined
    if (file.meta === undefined) {
      return { fileNumber, sealed: false, sizeBytes: 0, frameBytes: 0, valueCount: 0, staleBytes: file.staleBytes, staleCount: file.staleCount, liveBytes: 0, stalenessRatio: 0, dead: false }
    }
    const frameBytes = frameBytesOf(file.meta)
    return {
      fileNumber,
      sealed: true,
      sizeBytes: file.meta.sizeBytes,
      frameBytes,
      valueCount: file.meta.valueCount,
      staleBytes: file.staleBytes,
      staleCount: file.staleCount,
      liveBytes: frameBytes - file.staleBytes,
      stalenessRatio: frameBytes === 0 ? 0 : file.staleBytes / frameBytes,
      dead: file.staleCount === file.meta.valueCount,
    }
  }

  /** Every tracked file, by file number. */
  files(): BlobFileGarbage[] {
    return [...this.#files.keys()].sort((a, b) => a - b).map((fileNumber) => this.file(fileNumber)!)
  }

  /** File numbers of wholly dead files, by file number. */
  deadFileNumbers(): number[] {
    return this.files().filter((file) => file.dead).map((file) => file.fileNumber)
  }

  /** Totals over the finished files, for `stats()` (the active file's size is the writer's). */
  spaceStats(): BlobSpaceStats {
    return spaceStatsOf(this.files().filter((file) => file.sealed))
  }

  #checkUntracked(fileNumber: number): void {
    if (this.#files.has(fileNumber)) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot track blob file ${fileNumber}: already tracked`, { details: { fileNumber } })
    }
  }
}

function checkMeta(meta: BlobFileMeta): void {
  if (frameBytesOf(meta) < 0 || !Number.isSafeInteger(meta.sizeBytes) || !Number.isSafeInteger(meta.valueCount) || meta.valueCount < 0) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot track blob file ${meta.fileNumber}: size ${meta.sizeBytes} with ${meta.valueCount} values is impossible`, { details: { fileNumber: meta.fileNumber } })
  }
}

function checkStale(meta: BlobFileMeta, staleBytes: number, staleCount: number): void {
  if (staleBytes > frameBytesOf(meta) || staleCount > meta.valueCount) {
    throw new StrataError('CORRUPTION', `Cannot account stale bytes of blob file ${meta.fileNumber}: ${staleCount} stale frames of ${staleBytes} bytes exceed its ${meta.valueCount} frames of ${frameBytesOf(meta)} bytes`, { details: { fileNumber: meta.fileNumber } })
  }
}
