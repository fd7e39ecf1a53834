/**
 * BlobCollector: blob garbage collection over a ValueLog. It counts stale bytes as compaction
 * drops handles (onDroppedValue → takeCompactionEdit, joined atomically to the compaction's
 * manifest edit), relocates files whose staleness passes the threshold (live frames copied
 * verbatim into the active file, or re-encoded when ECC repaired them on the way; new handles
 * written to the index), and deletes files that
 * are wholly dead or relocated once no snapshot or iterator can still reach an old handle.
 * Auto-heal: a file queued by `queueHeal` (ECC repaired one of its frames) is relocated in the
 * next collection whatever its staleness, with its live values re-encoded through the codec
 * instead of copied verbatim, so the copies carry fresh parity and the damaged bytes go with
 * the old file. Only live frames are decoded, so a damaged stale body goes with it too. A frame
 * header or key that does not verify ends the front-to-back scan; the index then names the keys
 * that still point into the file (one walk over every entry), whose frames are read by handle
 * and moved, so a file with damage only in stale frames is still retired (#liveKeysOf). A
 * sealed file without a valid footer is not scanned at all (its scan would stop silently at the
 * first frame that does not verify, as in a torn tail): the index alone says whether it is dead
 * and which values to move, and it is retired like any other once they have moved.
 * Damage: a relocation (heal or not) that meets a live frame it cannot read moves every other
 * live value it can and leaves the file in place, listed in the round's `failures`; the round
 * goes on, and the file is not picked again until a scrub finds it healable or the store is
 * reopened, or it is dead (docs/formats/blob-file.md §8, docs/ecc.md §7). I/O errors still fail
 * the round.
 *
 * Liveness: a frame is live iff the index still maps its key to exactly that handle. The check
 * and the write of the new handle happen while user writes are paused (`withWritesPaused`), so
 * no user write can land between them and be overwritten by a relocated older value. A streamed
 * value (up to 64 GiB) is read, verified and copied with writes running; only the check that its
 * key still maps to the same chunk list and the write of the new one are paused (#moveStreamOf).
 * Single-threaded; one collection runs at a time (the caller serialises `collect`).
 */
import { Buffer } from 'node:buffer'
import { setImmediate } from 'node:timers/promises'
import { OpKind, type BatchOp } from '../../engine/mod.ts'
import type { Version } from '../../engine/manifest/mod.ts'
import { failureOf, isDamageCode } from '../../engine/scrub/mod.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES, scanBlobFile, type BlobFileReader, type ScannedFrame } from '../blob-file/mod.ts'
import { BLOB_HANDLE_FORMAT_VERSION, decodeBlobHandle, encodeBlobHandle, type BlobHandle } from '../handle.ts'
import { chunkHandleOf, encodeChunkList, type ChunkList } from '../chunk-list.ts'
import { decodeValueHandle, framesNamedBy, referencesFrame, type ValueHandle } from '../value-handle.ts'
import { isSealed, type ValueLog } from '../value-log.ts'
import type { BlobFileMeta } from './accounting.ts'
import { FrameReferences } from './frame-references.ts'
import { staleRecountOf, type StaleBytesDelta } from './recovery-recount.ts'

/** What the collector needs of the database around it. */
export interface CollectorPort {
  currentVersion(): Version
  /** Open snapshots and iterators: readers that may hold handles older than a relocation. */
  readerCount(): number
  /** The handle the index maps `key` (latin1) to now, or undefined (absent, deleted, inline). */
  lookupHandle(key: string): Uint8Array | undefined
  /** Writes BlobHandle ops straight to the engine (writes are paused around the call). */
  writeHandles(ops: BatchOp[], sync: boolean): Promise<void>
  /** Runs `work` with user writes held back and in-flight ones settled. */
  withWritesPaused<T>(work: () => Promise<T>): Promise<T>
  /** Makes every write applied so far durable: blob frames synced, then the WAL (no flush). */
  makeWritesDurable(): Promise<void>
  /**
   * Calls `visit` for every index entry holding a handle: memtables and tables, every version of
   * every key (Db.walkValueHandles). For a file whose scan meets damage, or that has no valid
   * footer, only: it reads the index.
   */
  walkValueHandles(visit: (key: string, handle: Uint8Array) => void): Promise<void>
  /**
   * Frames of blob file `fileNumber` ECC has repaired since open (IntegrityMonitor.repairCountOf):
   * compared around a decode, it says whether that decode needed a repair.
   */
  repairCountOf(fileNumber: number): number
}

/** Tuning of the collector. */
export interface CollectorOptions {
  /** Relocate a sealed file once this fraction of its frame bytes is stale. Default 0.25. */
  stalenessThreshold: number
  /**
   * Live bytes one collection copies, about: files are picked up to it (at least one), and none
   * is started once the round has copied it. A streamed value moves whole, so one file holding a
   * chunk of it can take the round past it.
   */
  relocationBytesMax: number
  /**
   * Told when a relocation (heal or not) left `fileNumber` in place on a live frame it could not
   * read (IntegrityMonitor.recordHealFailure marks the file).
   */
  onRelocationFailed?: (fileNumber: number, error: unknown) => void
  /**
   * True when a relocation of `fileNumber` already failed on its damage and nothing since says it
   * could now succeed (IntegrityMonitor.rewriteFailed): the file is not picked for its staleness.
   */
  rewriteFailed?: (fileNumber: number) => boolean
}

/** Figures of the work done since open, for stats(). */
export interface CollectorStats {
  /** Frame bytes copied into the active file by relocation. */
  bytesMoved: number
  /** Frames (values) copied by relocation. */
  framesMoved: number
  /** Blob files whose live frames were copied out. */
  filesRelocated: number
  /** Blob files deleted (dead or relocated, once no reader could reach them). */
  filesDeleted: number
  /** Files relocated or dead, waiting until no reader can reach them. */
  filesAwaitingDeletion: number
  /**
   * Files whose stale count said dead but whose scan found a live frame (relocated instead of
   * deleted). Should stay 0; a non-zero value means stale bytes were over-counted.
   */
  deadFilesFoundLive: number
  /** Files queued for a healing rewrite since open (ECC repaired a frame; integrity.autoHeal). */
  healQueuedCount: number
  /** Files rewritten by a healing relocation since open. */
  filesHealed: number
  /**
   * Healing relocations that failed since open (a live frame that does not verify, or an I/O
   * error). The file stays; one that failed on its own damage is not queued again until a
   * verify() finds it healable.
   */
  healFailedCount: number
  /**
   * Relocations GC chose itself (staleness, a dead file found live) that left their file in place
   * since open because a live frame in it did not read (each is also in its round's `failures`).
   * The frames that read were moved; the file is not picked again until a verify() finds it
   * healable or the store is reopened. A heal that fails so counts in healFailedCount instead.
   * Also counted, once per round, a file holding a damaged chunk that kept a streamed value from
   * moving out of a file being relocated.
   */
  relocationFailedCount: number
}

/** A file a collection left in place: a live frame in it could not be read. */
export interface RelocationFailure {
  /** The blob file left in place (named `NNNNNN.blob`). */
  fileNumber: number
  /** The StrataError code of the first such frame (CHECKSUM_MISMATCH, UNRECOVERABLE, DECRYPT_FAILED, CORRUPTION, …). */
  code: string
  /** Its message, which names the file and, for a frame body, the key. */
  message: string
}

/** What one `collect()` did. */
export interface CollectionReport {
  /** Blob files this round relocated. */
  relocatedFileNumbers: number[]
  /** Blob files this round deleted. */
  deletedFileNumbers: number[]
  /** Frame bytes this round copied. */
  bytesMoved: number
  /**
   * Files this round left in place because a live frame in them could not be read (the round
   * relocated every other file and value it could), once each: a file the round relocated, or
   * the file holding a damaged chunk of a streamed value that a relocation could therefore not
   * move. Empty when nothing was damaged.
   */
  failures: RelocationFailure[]
}

/** What relocating one file did: the bytes it moved and what kept the file in place. */
interface RelocationOutcome {
  bytesMoved: number
  /** The first damage met in the file itself (a live frame, or its footer); undefined when none. */
  damage: unknown
  /**
   * Damage met in other files: a streamed value with a chunk here and a damaged chunk there,
   * which cannot move (by file: the first error met there).
   */
  otherDamage: Map<number, unknown>
  /** A live value could not move for damage elsewhere (otherDamage, or a file marked before). */
  held: boolean
}

/** The state of one file's relocation: the frames gathered for the next move, and what it did. */
interface RelocationRun {
  reader: BlobFileReader
  reencode: boolean
  outcome: RelocationOutcome
  chunk: RelocatedFrame[]
  chunkBytes: number
  /**
   * Streamed values with a live chunk in this file, by key, with the chunk list the index held
   * when the pass met them: moved after the paused passes (#moveStreamOf). Bounded by the
   * file's frames.
   */
  streams: Map<string, Uint8Array>
}

/** A live frame a relocation moves: decoded, and re-encoded (heal, or ECC repaired it) or copied. */
interface RelocatedFrame {
  frame: ScannedFrame
  key: string
  reencode: boolean
}

/** Live frames are copied and their handles written in chunks of about this many bytes. */
const RELOCATION_CHUNK_BYTES_MAX = 4 * 1024 * 1024
/**
 * Dead files proven unreferenced (each one scanned) between two deletions. Deleting in groups
 * keeps a round's progress when it is cut short: with one deletion at the end, a backlog of dead
 * files took longer to prove than a process lived, and no round ever deleted anything (the crash
 * torture's GC stopped after its first 30 rounds).
 */
const DEAD_FILES_PER_DELETION_MAX = 8
/**
 * Chunks of a streamed value GC reads or copies between two event-loop turns (each turn also
 * asks the index whether the key still maps to the list being moved).
 */
const STREAM_CHUNKS_PER_TURN = 4
const EMPTY_BYTES = new Uint8Array(0)

/**
 * A stream move reads and copies chunks synchronously: after every STREAM_CHUNKS_PER_TURN of
 * them it gives the event loop a turn (reads and writes go on) and reports whether the key has
 * moved on from the list being moved (`unchanged` false); false between turns.
 */
async function keyChangedAtTurn(chunkIndex: number, unchanged: () => boolean): Promise<boolean> {
  if (chunkIndex % STREAM_CHUNKS_PER_TURN !== STREAM_CHUNKS_PER_TURN - 1) return false
  await setImmediate()
  return !unchanged()
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}

/**
 * The chunk frames of the chunk list last asked about, as "file:offset" strings. A scan meets a
 * streamed value's chunks one after another, so one entry turns the per-frame question from a
 * walk of the whole list into a set lookup (a 64 Ki-chunk value would otherwise cost 2^32 steps).
 */
let lastChunkList: { bytes: Uint8Array; frames: Set<string> } | undefined

/** True when `current` (what the index holds for the frame's key) points at `frame`. */
function isLive(current: Uint8Array | undefined, frame: ScannedFrame): boolean {
  if (current === undefined) return false
  if (current[0] === BLOB_HANDLE_FORMAT_VERSION) return bytesEqual(current, encodeBlobHandle(frame.handle))
  if (lastChunkList === undefined || !bytesEqual(lastChunkList.bytes, current)) {
    let handle: ValueHandle
    try {
      handle = decodeValueHandle(current)
    } catch {
      return false
    }
    if (handle.kind !== 'chunks') return referencesFrame(handle, frame.handle.fileNumber, frame.handle.offsetBytes)
    lastChunkList = { bytes: current, frames: new Set(handle.list.chunks.map((chunk) => `${chunk.fileNumber}:${chunk.offsetBytes}`)) }
  }
  return lastChunkList.frames.has(`${frame.handle.fileNumber}:${frame.handle.offsetBytes}`)
}

/** Bytes of all frames in a sealed file of `sizeBytes`. */
function frameBytesOf(sizeBytes: number): number {
  return sizeBytes - FILE_HEADER_SIZE_BYTES - FOOTER_SIZE_BYTES
}

export class BlobCollector {
  readonly #log: ValueLog
  readonly #options: CollectorOptions
  #port: CollectorPort | undefined
  /** Stale bytes reported by compaction and not yet handed to a manifest edit. */
  readonly #pending = new Map<number, number>()
  /** Relocated or dead files: deleted once readerCount() is 0. */
  readonly #retired = new Set<number>()
  /** Files whose removal edit is in flight or done: their stale deltas are dropped. */
  readonly #removed = new Set<number>()
  /** Files queueHeal() named, waiting for a collection that can rewrite them. */
  readonly #healQueue = new Set<number>()
  /**
   * The file being relocated: the relocation's own reads may repair its frames, and such a
   * request is moot (the file is retired, or its heal has just failed).
   */
  #relocating: number | undefined
  /**
   * Files whose dead-file check did not prove them dead and must not walk the index again each
   * round, with their stale bytes then: marked by a failed relocation (`rewriteFailed`) and
   * still live, or left unknown (the walk met damage of its own, or the file did not open). The
   * walk reads every table, so it runs again for such a file only once compaction has counted
   * more of it stale (a key overwritten or deleted), the one change that can make it dead. One
   * entry per listed file.
   */
  readonly #walkedAtStaleBytes = new Map<number, number>()
  readonly #stats: Omit<CollectorStats, 'filesAwaitingDeletion'> = {
    bytesMoved: 0,
    framesMoved: 0,
    filesRelocated: 0,
    filesDeleted: 0,
    deadFilesFoundLive: 0,
    healQueuedCount: 0,
    filesHealed: 0,
    healFailedCount: 0,
    relocationFailedCount: 0,
  }

  constructor(log: ValueLog, options: CollectorOptions) {
    this.#log = log
    this.#options = options
  }

  attach(port: CollectorPort): void {
    this.#port = port
  }

  /** Engine hook: compaction dropped `handleBytes`. */
  onDroppedValue(_key: string, handleBytes: Uint8Array): void {
    // A chunk list makes every chunk stale: no two index entries share a chunk frame, since
    // relocation moves a streamed value whole (#moveStreamOf). A handle that does not decode
    // points at nothing to reclaim.
    for (const { fileNumber, frameSizeBytes } of framesNamedBy(handleBytes)) this.#countStale(fileNumber, frameSizeBytes)
  }

  /** Adds a frame no handle will name again to its file's stale bytes (in the next compaction edit). */
  #countStale(fileNumber: number, frameSizeBytes: number): void {
    if (this.#removed.has(fileNumber)) return
    this.#pending.set(fileNumber, (this.#pending.get(fileNumber) ?? 0) + frameSizeBytes)
  }

  /**
   * Engine hook: the stale bytes to join the compaction edit being logged. Deltas for files
   * being sealed wait for the next edit (the seal edit carries the file's stale figure over);
   * deltas for files no longer listed are dropped (their bytes are gone already).
   */
  takeCompactionEdit(version: Version): { blobStaleBytes: { fileNumber: number; staleBytesDelta: number }[] } {
    const blobStaleBytes: { fileNumber: number; staleBytesDelta: number }[] = []
    for (const [fileNumber, staleBytes] of this.#pending) {
      if (this.#log.sealEditsInFlight.has(fileNumber) || this.#log.registrationsInFlight.has(fileNumber)) continue
      this.#pending.delete(fileNumber)
      if (this.#removed.has(fileNumber) || !version.blobFiles.has(fileNumber)) continue
      blobStaleBytes.push({ fileNumber, staleBytesDelta: staleBytes })
    }
    return { blobStaleBytes }
  }

  /**
   * The stale deltas that bring each sealed file of `version` up to the bytes `references` (an
   * index walk taken with `version`, in the same turn) leaves unnamed; `sealing`: final metas of
   * files the same edit seals (recovery-recount.ts).
   */
  recountEdit(version: Version, references: FrameReferences, sealing: readonly BlobFileMeta[]): StaleBytesDelta[] {
    return staleRecountOf(version, references, (fileNumber) => this.#pending.get(fileNumber) ?? 0, sealing)
  }

  stats(): CollectorStats {
    return { ...this.#stats, filesAwaitingDeletion: this.#retired.size }
  }

  /**
   * One collection: files wholly dead are retired, files past the staleness threshold are
   * relocated then retired, files queued by queueHeal are relocated re-encoded, and retired
   * files are deleted if no reader can reach them.
   *
   * A file with a live frame that does not read (a checksum ECC cannot repair, a decrypt
   * failure, a damaged frame header) is not a failed round: its other live values are moved, it
   * stays where it is (a get of the damaged key keeps failing with its typed error), it is listed
   * in the report's `failures` and counted (relocationFailedCount, healFailedCount for a heal),
   * and the round goes on with its other files and deletions. Resolving, not rejecting, because
   * the damage is a state of the data that verify() and the failing get already report, and a
   * rejection would fail `compact()` (gcOnCompact) and every caller's GC loop over one key that
   * no retry can fix; the round did everything else it could. Such a file is not picked again
   * until a verify() finds it healable or the store is reopened, or it is dead.
   * @throws {StrataError} `IO_ERROR` and other write errors: the active file may be the one
   * failing, so the round stops there, as before.
   */
  async collect(): Promise<CollectionReport> {
    const port = this.#portOrThrow()
    const report: CollectionReport = { relocatedFileNumbers: [], deletedFileNumbers: [], bytesMoved: 0, failures: [] }
    const version = port.currentVersion()
    const { dead, toRelocate } = this.#pick(version)
    const healing = this.#takeHealable(version)
    // A dead file is left to the loop below, which retires it (nothing live to heal) or
    // relocates it, healed.
    for (const fileNumber of healing) if (!toRelocate.includes(fileNumber) && !dead.includes(fileNumber)) toRelocate.push(fileNumber)
    for (const fileNumber of dead) {
      // The count says every frame is stale; the index has the last word before a file goes.
      // A live frame here means the count ran ahead of the truth (a drop counted twice, or in
      // the wrong job's edit): relocating instead keeps every live value readable.
      // The index walk reads every table, so a file it did not prove dead (its relocation already
      // failed on damage, or the walk itself met a damaged table) is not walked for again each
      // round, only once more of it was counted stale since (review, 2026-11-26): otherwise only
      // its scan may still prove it dead, and a file without a footer has none.
      const marked = this.#options.rewriteFailed?.(fileNumber) === true
      const staleBytes = version.blobFiles.get(fileNumber)!.staleBytes
      const live = await this.#hasLiveFrame(fileNumber, this.#walkedAtStaleBytes.get(fileNumber) !== staleBytes)
      if (live === undefined || (marked && live)) this.#walkedAtStaleBytes.set(fileNumber, staleBytes)
      // A file that cannot be scanned (damaged) stays: nothing proves it unreferenced, and a
      // read of a live frame in it reports the damage itself. verify() lists it.
      if (live === undefined) continue
      if (live) {
        if (this.#options.rewriteFailed?.(fileNumber) === true) continue
        this.#stats.deadFilesFoundLive++
        toRelocate.push(fileNumber)
        continue
      }
      this.#retired.add(fileNumber)
      if (this.#retired.size >= DEAD_FILES_PER_DELETION_MAX) report.deletedFileNumbers.push(...(await this.deleteRetired()))
    }
    for (const fileNumber of toRelocate) {
      const heal = healing.includes(fileNumber)
      // #pick budgets each file's live bytes, but a streamed value moves whole, chunks in other
      // files too: once the round has copied its budget, the files left wait for the next round.
      // A heal does not wait (#takeHealable took it off its queue).
      if (!heal && report.bytesMoved >= this.#options.relocationBytesMax) continue
      let outcome: RelocationOutcome
      try {
        outcome = await this.#relocate(fileNumber, heal)
      } catch (error) {
        // An I/O error may be the active file's: it fails the round like any write error.
        if (heal) this.#stats.healFailedCount++
        throw error
      }
      report.bytesMoved += outcome.bytesMoved
      // A streamed value that cannot move for a damaged chunk in another file: that file is the
      // failure (marked, so its damage is not read again for its staleness or another stream's
      // move; a verify() that finds it unrecoverable keeps the mark), counted as a relocation that
      // met its damage.
      for (const [otherFileNumber, damage] of outcome.otherDamage) {
        if (this.#recordFailure(report, otherFileNumber, damage)) this.#stats.relocationFailedCount++
      }
      if (outcome.damage !== undefined) {
        // The moved frames' new handles are live and their old copies stale (counted as
        // compaction drops the old handles); the file keeps a live frame, so it is not retired.
        if (heal) this.#stats.healFailedCount++
        else this.#stats.relocationFailedCount++
        this.#recordFailure(report, fileNumber, outcome.damage)
        continue
      }
      if (outcome.held) {
        // Nothing here is damaged, so the file is neither marked nor listed; a heal of it did not
        // complete all the same. It is tried again when next picked.
        if (heal) this.#stats.healFailedCount++
        continue
      }
      this.#retired.add(fileNumber)
      this.#stats.filesRelocated++
      if (heal) this.#stats.filesHealed++
      report.relocatedFileNumbers.push(fileNumber)
    }
    report.deletedFileNumbers.push(...(await this.deleteRetired()))
    return report
  }

  /**
   * Marks `fileNumber` as left in place for `damage` and lists it in the round's failures, once;
   * false when the round had listed it already.
   */
  #recordFailure(report: CollectionReport, fileNumber: number, damage: unknown): boolean {
    this.#options.onRelocationFailed?.(fileNumber, damage)
    if (report.failures.some((failure) => failure.fileNumber === fileNumber)) return false
    const { code, error: message } = failureOf(damage)
    report.failures.push({ fileNumber, code, message })
    return true
  }

  /**
   * Queues `fileNumber` for a healing rewrite in the next collection (ECC repaired a frame in
   * it). A file still being written is healed once it is sealed.
   */
  queueHeal(fileNumber: number): void {
    if (fileNumber === this.#relocating || this.#healQueue.has(fileNumber) || this.#retired.has(fileNumber) || this.#removed.has(fileNumber)) return
    this.#healQueue.add(fileNumber)
    this.#stats.healQueuedCount++
  }

  /** Queued heals that can run now (sealed, not being written); gone files leave the queue. */
  #takeHealable(version: Version): number[] {
    const busy = new Set<number>(this.#log.sealingFileNumbers())
    const active = this.#log.activeFileNumber()
    if (active !== undefined) busy.add(active)
    const ready: number[] = []
    for (const fileNumber of this.#healQueue) {
      const state = version.blobFiles.get(fileNumber)
      if (state === undefined || this.#retired.has(fileNumber) || this.#removed.has(fileNumber)) this.#healQueue.delete(fileNumber)
      else if (!busy.has(fileNumber) && isSealed(state.meta.sizeBytes) && !this.#log.sealEditsInFlight.has(fileNumber)) {
        this.#healQueue.delete(fileNumber)
        ready.push(fileNumber)
      }
    }
    return ready
  }

  /** Deletes retired files when no snapshot or iterator is open; returns the numbers deleted. */
  async deleteRetired(): Promise<number[]> {
    const port = this.#portOrThrow()
    if (this.#retired.size === 0 || port.readerCount() > 0) return []
    const fileNumbers = [...this.#retired]
    for (const fileNumber of fileNumbers) {
      this.#removed.add(fileNumber)
      this.#walkedAtStaleBytes.delete(fileNumber)
    }
    // Liveness was judged on the index as it is now, which may hold writes not yet durable (an
    // unsynced overwrite or delete of a key whose old frame is in one of these files). A crash
    // after the removal would lose those writes and bring back the old handle, into a file that
    // is gone: make them durable first (torture seed 20250101, round 178, found it once reads
    // served from the value cache changed the operation order). Their frames and WAL records
    // are enough; this used to flush the memtable, a small level-0 table per round.
    await port.makeWritesDurable()
    // A reader that came during the sync pinned a version listing these files: a checkpoint links
    // every file of its version, and failed NOT_FOUND on one removed under it (review,
    // 2026-11-26). They stay retired, for a round with no reader.
    if (port.readerCount() > 0) {
      for (const fileNumber of fileNumbers) this.#removed.delete(fileNumber)
      return []
    }
    await this.#log.removeFiles(fileNumbers)
    for (const fileNumber of fileNumbers) this.#retired.delete(fileNumber)
    this.#stats.filesDeleted += fileNumbers.length
    return fileNumbers
  }

  #pick(version: Version): { dead: number[]; toRelocate: number[] } {
    const busy = new Set<number>(this.#log.sealingFileNumbers())
    const active = this.#log.activeFileNumber()
    if (active !== undefined) busy.add(active)
    const dead: number[] = []
    const toRelocate: number[] = []
    let liveBytesPicked = 0
    for (const fileNumber of [...version.blobFiles.keys()].sort((a, b) => a - b)) {
      const state = version.blobFiles.get(fileNumber)!
      if (busy.has(fileNumber) || this.#retired.has(fileNumber) || this.#removed.has(fileNumber)) continue
      if (!isSealed(state.meta.sizeBytes) || this.#log.sealEditsInFlight.has(fileNumber)) continue
      const frameBytes = frameBytesOf(state.meta.sizeBytes)
      // Every frame stale (or none written): nothing to copy. Judged on the applied, durable
      // manifest figure, so a compaction edit still in flight cannot make a file look dead.
      if (state.staleBytes >= frameBytes) {
        dead.push(fileNumber)
        continue
      }
      if (state.staleBytes / frameBytes < this.#options.stalenessThreshold) continue
      // Its last relocation moved every live frame that read and left the rest: another would
      // read them again and fail again. Dead once their keys are overwritten or deleted.
      if (this.#options.rewriteFailed?.(fileNumber) === true) continue
      const liveBytes = frameBytes - state.staleBytes
      if (toRelocate.length > 0 && liveBytesPicked + liveBytes > this.#options.relocationBytesMax) continue
      toRelocate.push(fileNumber)
      liveBytesPicked += liveBytes
    }
    return { dead, toRelocate }
  }

  /**
   * True when the index still maps some frame's key to that frame (keys only: no body decoded);
   * undefined when the file cannot be opened, or the index walk fails. When the scan cannot tell
   * (#scanForLiveFrame), the index answers instead (#liveKeysOf), if `mayWalkIndex`.
   */
  async #hasLiveFrame(fileNumber: number, mayWalkIndex: boolean): Promise<boolean | undefined> {
    const reader = this.#log.tryOpenDetachedReader(fileNumber)
    if (reader === undefined) return undefined
    let scanned: boolean | undefined
    try {
      scanned = this.#scanForLiveFrame(reader)
    } finally {
      reader.close()
    }
    if (scanned !== undefined || !mayWalkIndex) return scanned
    const liveKeys = await this.#liveKeysOf(fileNumber)
    return liveKeys === undefined ? undefined : liveKeys.length > 0
  }

  /**
   * True when a frame of `reader`'s file is live; false when the scan read every frame and none
   * is; undefined when the scan cannot tell: a frame it cannot parse ends it, or the file has no
   * valid footer.
   */
  #scanForLiveFrame(reader: BlobFileReader): boolean | undefined {
    const port = this.#portOrThrow()
    // Without its footer the scan stops silently at the first frame that does not verify, as in
    // a torn tail, and nothing says where the frames end: it would call a file dead whose later
    // frames it never reached. Not scanned at all: finding a live frame early would only send the
    // file to a relocation, which must walk the index anyway (#relocateFrames).
    if (reader.footer === undefined) return undefined
    try {
      for (const frame of scanBlobFile(reader, { decodeValues: false })) {
        const key = Buffer.from(frame.key.buffer, frame.key.byteOffset, frame.key.byteLength).toString('latin1')
        if (isLive(port.lookupHandle(key), frame)) return true
      }
      return false
    } catch {
      return undefined
    }
  }

  /**
   * The keys whose current handle names a frame of `fileNumber`, found from the index instead of
   * the file: one walk over every entry (keys and handles, no blob read) gathers the keys any
   * version of which names the file, and a lookup of each says whether its latest does. For a
   * file whose scan met a frame it cannot parse (a damaged header or key), after which no frame
   * boundary can be trusted, and for a file without a valid footer, which is not scanned.
   * Undefined when the walk fails on damage of its own (a table).
   * @throws {StrataError} `IO_ERROR` and other non-damage errors of the walk.
   */
  async #liveKeysOf(fileNumber: number): Promise<string[] | undefined> {
    const port = this.#portOrThrow()
    const references = new FrameReferences([fileNumber])
    try {
      await port.walkValueHandles((key, handle) => references.add(key, handle))
      // The lookups read the index too: damage there leaves liveness unknown, as the walk's does.
      return references.keysReferencing(fileNumber).filter((key) => namesFile(port.lookupHandle(key), fileNumber))
    } catch (error) {
      damageOrThrow(error)
      return undefined
    }
  }

  /**
   * Copies the live frames of `fileNumber` into the active file and points the index at the
   * copies; the last write is synced (after the blob file), so once this resolves the old file
   * is needed only by readers older than the relocation, unless the outcome names damage: then
   * the live frames that did not read are still referenced there.
   * User writes are paused only around the moves (the liveness check and the handle write must
   * see the same index). When the scan cannot read the file to the end (a frame header or key
   * that does not verify, or no valid footer), the index walk that names the rest runs between
   * two paused passes: it waits for a running flush or compaction and reads every table, and a
   * pause around it held every user write that long (review, 2026-11-26). Outside a pause no write
   * can make a key name this sealed file (user writes and relocations append to the active one),
   * so the walk's keys are every candidate; each is looked up again under the second pause.
   * Streamed values the passes met are moved after them, each under a short pause of its own
   * (#moveStreamOf).
   * @throws {StrataError} `IO_ERROR` and other non-damage errors (isDamageCode).
   */
  async #relocate(fileNumber: number, reencode: boolean): Promise<RelocationOutcome> {
    const port = this.#portOrThrow()
    const outcome: RelocationOutcome = { bytesMoved: 0, damage: undefined, otherDamage: new Map(), held: false }
    const streams = new Map<string, Uint8Array>()
    this.#relocating = fileNumber
    try {
      const scanDamage = await port.withWritesPaused(() => this.#pass(fileNumber, reencode, outcome, streams, (run) => this.#moveScanned(run)))
      if (scanDamage !== undefined) {
        const liveKeys = await this.#liveKeysOf(fileNumber)
        if (liveKeys === undefined) outcome.damage ??= scanDamage
        else if (liveKeys.length > 0) await port.withWritesPaused(() => this.#pass(fileNumber, reencode, outcome, streams, (run) => this.#moveIndexed(run, liveKeys)))
      }
      for (const [key, listBytes] of streams) await this.#moveStreamOf(fileNumber, key, listBytes, reencode, outcome)
      return outcome
    } finally {
      this.#relocating = undefined
    }
  }

  /**
   * One pass of a relocation over a fresh reader of `fileNumber`: `moves` gathers and moves live
   * values, and what it gathered last is moved (synced) before the pass ends. Damage that keeps
   * the file from opening goes into `outcome`; undefined is then returned.
   * @throws {StrataError} `IO_ERROR` and other non-damage errors (isDamageCode).
   */
  async #pass<T>(
    fileNumber: number,
    reencode: boolean,
    outcome: RelocationOutcome,
    streams: Map<string, Uint8Array>,
    moves: (run: RelocationRun) => Promise<T>,
  ): Promise<T | undefined> {
    let reader: BlobFileReader
    try {
      reader = this.#log.openDetachedReader(fileNumber)
    } catch (error) {
      outcome.damage ??= damageOrThrow(error)
      return undefined
    }
    try {
      const run: RelocationRun = { reader, reencode, outcome, chunk: [], chunkBytes: 0, streams }
      const result = await moves(run)
      if (run.chunk.length > 0) outcome.bytesMoved += await this.#move(run.chunk, true)
      return result
    } finally {
      reader.close()
    }
  }

  /**
   * Moves the live frames a front-to-back scan of the run's file finds. Returns the damage that
   * ended the scan before the end of the file (the rest is then found through the index), or
   * undefined when it read every frame.
   * @throws {StrataError} `IO_ERROR` and other non-damage errors (isDamageCode).
   */
  async #moveScanned(run: RelocationRun): Promise<unknown> {
    const port = this.#portOrThrow()
    // A file without its footer is not scanned: read as an unfinished one, its scan would stop
    // silently at the first frame that does not verify, and nothing says where the frames end.
    // The index names every live value in one walk of keys and handles (no blob read), the walk
    // this relocation would need anyway to find the values past a stop it cannot detect.
    const scan = { damage: run.reader.sealedFooterDamage('relocate') as unknown }
    // The scan checks each frame's header, key and frame checksum; bodies are decoded below, live
    // ones only: a damaged live body must fail here (or be repaired by ECC), never be copied on
    // unverified, and a damaged stale body must not stop the relocation that drops it. A damaged
    // live value is skipped (it stays where it is) and the scan goes on.
    const frames = scan.damage === undefined ? framesUntilDamage(scanBlobFile(run.reader, { decodeValues: false }), scan) : []
    for (const frame of frames) {
      const key = Buffer.from(frame.key.buffer, frame.key.byteOffset, frame.key.byteLength).toString('latin1')
      const current = port.lookupHandle(key)
      if (!isLive(current, frame)) continue
      await this.#moveLive(run, key, current!, frame)
    }
    return scan.damage
  }

  /**
   * Moves the values of `keys` (from #liveKeysOf: every key some index entry of which named the
   * run's file) whose current handle still names it, read by handle: for a file the scan could
   * not read to the end. Whether the damaged frame was stale or live, the file is retired only if
   * every live value moves (a live damaged frame fails its read here and keeps the file).
   * @throws {StrataError} `IO_ERROR` and other non-damage errors (isDamageCode).
   */
  async #moveIndexed(run: RelocationRun, keys: readonly string[]): Promise<void> {
    const port = this.#portOrThrow()
    for (const key of keys) {
      const current = port.lookupHandle(key)
      if (namesFile(current, run.reader.fileNumber)) await this.#moveLive(run, key, current!, undefined)
    }
  }

  /**
   * Moves the value `current` names (the index's handle of `key`, naming a frame of the file being
   * relocated): a frame joins the run's chunk, read by handle unless the scan found it
   * (`scanned`); a streamed value is noted in the run's `streams`, to move whole once the pause
   * ends. Damage is recorded in the run's outcome, and the value stays where it is.
   * @throws {StrataError} `IO_ERROR` and other non-damage errors (isDamageCode).
   */
  async #moveLive(run: RelocationRun, key: string, current: Uint8Array, scanned: ScannedFrame | undefined): Promise<void> {
    const port = this.#portOrThrow()
    const { reader, outcome } = run
    if (current[0] !== BLOB_HANDLE_FORMAT_VERSION) {
      // A chunk of a streamed value: the whole value moves after the pause (#moveStreamOf), once
      // however many of its chunks this file holds.
      run.streams.set(key, current)
      return
    }
    const repairsBefore = port.repairCountOf(reader.fileNumber)
    let frame: ScannedFrame
    try {
      frame = scanned ?? frameAt(reader, decodeBlobHandle(current), key)
      frame.value = reader.decodeValue(frame.checkedFrame)
    } catch (error) {
      outcome.damage ??= damageOrThrow(error)
      return
    }
    if (run.chunk.length > 0 && run.chunkBytes + frame.frameBytes.length > RELOCATION_CHUNK_BYTES_MAX) {
      outcome.bytesMoved += await this.#move(run.chunk, false)
      run.chunk = []
      run.chunkBytes = 0
    }
    // A body ECC had to repair holds flipped bits on disk: copied verbatim they would go on
    // into the new file, and the heal request the repair raised names this file, which the
    // relocation drops (queueHeal): re-encoded, the copy is clean. A repair that had to vouch
    // for the frame checksum was made by the scan, before repairsBefore (scan.ts).
    const repaired = port.repairCountOf(reader.fileNumber) !== repairsBefore || frame.checkedFrame.frameChecksum === 'repaired'
    run.chunk.push({ frame, key, reencode: run.reencode || repaired })
    run.chunkBytes += frame.frameBytes.length
  }

  /**
   * Moves the streamed value of `key` whose chunk list was `listBytes` when a paused pass over
   * `fileNumber` met a chunk of it, with user writes running: every chunk is read and verified
   * (#streamDamageOf), then copied (#copyStream), and only the check that the key still maps to
   * exactly `listBytes` and the write of the new list run under a pause (#commitStreamMove). A
   * 96 MiB value moved inside the pause held a concurrent put 139 ms (review, 2026-11-26), and a
   * value may be 64 GiB. No write can make the key name `fileNumber` again meanwhile (user writes
   * and relocations append to the active file), so a key that changed has left the file: its
   * old chunks there are no longer live. Damage is recorded in `outcome`, as for a frame.
   * @throws {StrataError} `IO_ERROR` and other non-damage errors (isDamageCode).
   */
  async #moveStreamOf(fileNumber: number, key: string, listBytes: Uint8Array, reencode: boolean, outcome: RelocationOutcome): Promise<void> {
    const handle = decodeValueHandle(listBytes)
    if (handle.kind !== 'chunks') return
    const markedElsewhere = handle.list.chunks.some((chunk) => chunk.fileNumber !== fileNumber && this.#options.rewriteFailed?.(chunk.fileNumber) === true)
    const unchanged = (): boolean => bytesEqual(this.#portOrThrow().lookupHandle(key) ?? EMPTY_BYTES, listBytes)
    const damage = markedElsewhere ? undefined : await this.#streamDamageOf(Buffer.from(key, 'latin1'), handle.list, unchanged)
    if (markedElsewhere || damage !== undefined) {
      // The damage is the file's that holds the chunk: a chunk elsewhere makes that file the
      // failure, and this one is only held (not marked: nothing in it is damaged). A chunk in
      // a file whose move already failed on its damage is not read again.
      if (damage === undefined) outcome.held = true
      else if (damage.fileNumber === fileNumber) outcome.damage ??= damage.error
      else {
        outcome.held = true
        if (!outcome.otherDamage.has(damage.fileNumber)) outcome.otherDamage.set(damage.fileNumber, damage.error)
      }
      return
    }
    if (!unchanged()) return
    const copies = await this.#copyStream(key, handle.list, reencode, unchanged)
    if (copies === undefined || !(await this.#commitStreamMove(key, listBytes, copies))) return
    // Source frame bytes, as #move counts them (a re-encoded copy may differ in size).
    let bytesMoved = 0
    for (const chunk of handle.list.chunks) bytesMoved += chunk.frameSizeBytes
    this.#stats.bytesMoved += bytesMoved
    this.#stats.framesMoved += copies.chunks.length
    outcome.bytesMoved += bytesMoved
  }

  /**
   * The damage a move of the streamed value `list` would meet (the first chunk that does not
   * read or decode, with the file that holds it), or undefined when every chunk reads or
   * `unchanged` (asked every few chunks) says the key no longer maps to `list`. The chunks are
   * read and decoded here and read again by #copyStream: twice the reads of a stream GC moves,
   * traded for never copying a chunk of a value that cannot move (a move that stopped at a
   * damaged chunk left copies whose stale count lived only in memory: lost at close, they
   * counted as live forever, and every open copied them again). The bytes are dropped chunk by
   * chunk: a stream may not fit in memory.
   * @throws {StrataError} `IO_ERROR` and other non-damage errors (isDamageCode).
   */
  async #streamDamageOf(keyBytes: Uint8Array, list: ChunkList, unchanged: () => boolean): Promise<{ fileNumber: number; error: unknown } | undefined> {
    for (let chunkIndex = 0; chunkIndex < list.chunks.length; chunkIndex++) {
      const handle = chunkHandleOf(list, chunkIndex)
      try {
        const reader = this.#log.readerOf(handle.fileNumber, keyBytes)
        reader.decodeValue(reader.readCheckedFrame(handle, keyBytes))
      } catch (error) {
        return { fileNumber: handle.fileNumber, error: damageOrThrow(error) }
      }
      // The key may change meanwhile: its value then needs no move, and the rest is not read.
      if (await keyChangedAtTurn(chunkIndex, unchanged)) return undefined
    }
    return undefined
  }

  /**
   * Copies every chunk of a streamed value into the active file and syncs it, with user writes
   * running; the caller has verified every chunk first (#streamDamageOf). Returns the copies'
   * chunk list, or undefined when `unchanged` (asked every few chunks) found the key moved on:
   * the copies made so far are then counted stale. Moving the value whole, not just the chunks
   * in the file being relocated, keeps chunk frames unshared between index entries, so dropping
   * the old list later counts exactly its own frames stale.
   * @throws {StrataError} any error, read or write: it fails the round (the chunks verified
   * just before, so a read failing now is not the file's settled damage); the copies made so
   * far are counted stale first.
   */
  async #copyStream(key: string, list: ChunkList, reencode: boolean, unchanged: () => boolean): Promise<ChunkList | undefined> {
    const port = this.#portOrThrow()
    const keyBytes = Buffer.from(key, 'latin1')
    const moved: ChunkList = { totalSizeBytes: list.totalSizeBytes, chunkSizeBytes: list.chunkSizeBytes, chunks: [] }
    try {
      for (let chunkIndex = 0; chunkIndex < list.chunks.length; chunkIndex++) {
        const handle = chunkHandleOf(list, chunkIndex)
        const reader = this.#log.readerOf(handle.fileNumber, keyBytes)
        const checked = reader.readCheckedFrame(handle, keyBytes)
        const repairsBefore = port.repairCountOf(handle.fileNumber)
        const value = reader.decodeValue(checked)
        const repaired = port.repairCountOf(handle.fileNumber) !== repairsBefore
        // A repaired chunk is re-encoded, not copied with its flipped bits (#move).
        const [copy] = reencode || repaired
          ? this.#log.append([{ key: keyBytes, value }])
          : this.#log.copy([{ frameBytes: checked.frameBytes, rawValueSizeBytes: handle.rawValueSizeBytes }])
        moved.chunks.push({ fileNumber: copy.fileNumber, offsetBytes: copy.offsetBytes, frameSizeBytes: copy.frameSizeBytes })
        if (await keyChangedAtTurn(chunkIndex, unchanged)) {
          // Synced before they are counted: a count logged for frames a crash then cuts from
          // the active file would over-count it for good (the recount at open only raises).
          await this.#log.syncAll()
          this.#countCopiesStale(moved)
          return undefined
        }
      }
      await this.#log.syncAll()
    } catch (error) {
      this.#countCopiesStale(moved)
      throw error
    }
    return moved
  }

  /**
   * Under a write pause: points `key` at `copies` (synced, after the copies were) if it still
   * maps to exactly `listBytes`, and returns true; otherwise counts the copies stale and returns
   * false. The check and the write see the same index, so no user write that landed during the
   * copy is overwritten by the older value.
   */
  async #commitStreamMove(key: string, listBytes: Uint8Array, copies: ChunkList): Promise<boolean> {
    const port = this.#portOrThrow()
    const written = await port.withWritesPaused(async () => {
      if (!bytesEqual(port.lookupHandle(key) ?? EMPTY_BYTES, listBytes)) return false
      await port.writeHandles([{ kind: OpKind.BlobHandle, key, value: encodeChunkList(copies) }], true)
      return true
    })
    if (!written) this.#countCopiesStale(copies)
    return written
  }

  /**
   * Counts copies of a stream move that no handle will name stale, as a compaction counts a
   * dropped handle's frames: in the next flush's or compaction's edit, or the one close() logs.
   * A crash before either leaves them to the recount at the next open, which counts every frame
   * no index entry names (docs/formats/blob-file.md §8); being in no entry, no later drop names
   * them, so they are counted once.
   */
  #countCopiesStale(copies: ChunkList): void {
    for (const copy of copies.chunks) this.#countStale(copy.fileNumber, copy.frameSizeBytes)
  }

  async #move(chunk: readonly RelocatedFrame[], last: boolean): Promise<number> {
    const port = this.#portOrThrow()
    const fresh = chunk.filter((entry) => entry.reencode)
    const verbatim = chunk.filter((entry) => !entry.reencode)
    const freshHandles = fresh.length === 0 ? [] : this.#log.append(fresh.map(({ frame }) => ({ key: frame.key, value: frame.value! })))
    const verbatimHandles = verbatim.length === 0 ? [] : this.#log.copy(verbatim.map(({ frame }) => ({ frameBytes: frame.frameBytes, rawValueSizeBytes: frame.rawValueSizeBytes })))
    const ops: BatchOp[] = [
      ...fresh.map(({ key }, index) => ({ kind: OpKind.BlobHandle, key, value: encodeBlobHandle(freshHandles[index]) })),
      ...verbatim.map(({ key }, index) => ({ kind: OpKind.BlobHandle, key, value: encodeBlobHandle(verbatimHandles[index]) })),
    ]
    if (last) await this.#log.syncAll()
    await port.writeHandles(ops, last)
    let bytes = 0
    for (const { frame } of chunk) bytes += frame.frameBytes.length
    this.#stats.bytesMoved += bytes
    this.#stats.framesMoved += chunk.length
    return bytes
  }

  #portOrThrow(): CollectorPort {
    if (this.#port === undefined) throw new Error('BlobCollector used before attach()')
    return this.#port
  }
}

/** `error` when it says the file's own bytes do not read (isDamageCode); any other error is thrown. */
function damageOrThrow(error: unknown): unknown {
  if (!isDamageCode(failureOf(error).code)) throw error
  return error
}

/**
 * The frames of `scan` until it throws on damage, which it records in `end.damage`. Other errors
 * pass through.
 */
function* framesUntilDamage(scan: Iterable<ScannedFrame>, end: { damage: unknown }): Generator<ScannedFrame> {
  try {
    yield* scan
  } catch (error) {
    end.damage = damageOrThrow(error)
  }
}

/** True when `current` (what the index holds for a key) names a frame of `fileNumber`. */
function namesFile(current: Uint8Array | undefined, fileNumber: number): boolean {
  return current !== undefined && framesNamedBy(current).some((frame) => frame.fileNumber === fileNumber)
}

/**
 * The frame at `handle` of `reader`'s file, read by handle and checked (bounds, header, frame
 * checksum, key) as the scan would have found it; its body is not decoded yet.
 * @throws {StrataError} as `BlobFileReader.readCheckedFrame`.
 */
function frameAt(reader: BlobFileReader, handle: BlobHandle, key: string): ScannedFrame {
  const checked = reader.readCheckedFrame(handle, Buffer.from(key, 'latin1'))
  return {
    handle,
    key: checked.key,
    value: undefined,
    frameBytes: checked.frameBytes,
    rawValueSizeBytes: checked.fields.rawValueSizeBytes,
    originFileNumber: checked.fields.originFileNumber,
    checkedFrame: checked,
  }
}
