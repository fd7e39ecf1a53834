/**
 * BlobCollector: blob garbage collection over a ValueLog. It counts stale bytes as compaction
 * drops handles (onDroppedValue → takeCompactionEdit, joined atomically to the compaction's
 * manifest edit), relocates files whose staleness passes the threshold (live frames copied
 * verbatim into the active file, new handles written to the index), and deletes files that
 * are wholly dead or relocated once no snapshot or iterator can still reach an old handle.
 * Auto-heal: a file queued by `queueHeal` (ECC repaired one of its frames) is relocated in the
 * next collection whatever its staleness, with its live values re-encoded through the codec
 * instead of copied verbatim, so the copies carry fresh parity and the damaged bytes go with
 * the old file. Only live frames are decoded, so a damaged stale frame goes with it too; a heal
 * that meets a damaged live frame fails without failing the round (docs/ecc.md §7).
 *
 * Liveness: a frame is live iff the index still maps its key to exactly that handle. The check
 * and the write of the new handle happen while user writes are paused (`withWritesPaused`), so
 * no user write can land between them and be overwritten by a relocated older value.
 * Single-threaded; one collection runs at a time (the caller serialises `collect`).
 */
import { Buffer } from 'node:buffer'
import { OpKind, type BatchOp } from '../../engine/mod.ts'
import type { Version } from '../../engine/manifest/mod.ts'
import { failureOf, isDamageCode } from '../../engine/scrub/mod.ts'
import { FILE_HEADER_SIZE_BYTES, FOOTER_SIZE_BYTES, scanBlobFile, type BlobFileReader, type ScannedFrame } from '../blob-file/mod.ts'
import { BLOB_HANDLE_FORMAT_VERSION, encodeBlobHandle } from '../handle.ts'
import { chunkHandleOf, encodeChunkList, type ChunkList } from '../chunk-list.ts'
import { decodeValueHandle, framesOf, referencesFrame, type ValueHandle } from '../value-handle.ts'
import { isSealed, type ValueLog } from '../value-log.ts'

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
}

/** Tuning of the collector. */
export interface CollectorOptions {
  /** Relocate a sealed file once this fraction of its frame bytes is stale. Default 0.25. */
  stalenessThreshold: number
  /** Live bytes one collection copies at most (at least one file is always taken). */
  relocationBytesMax: number
  /** Told when a healing relocation of `fileNumber` failed (IntegrityMonitor.recordHealFailure). */
  onHealFailed?: (fileNumber: number, error: unknown) => void
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
}

/** What one `collect()` did. */
export interface CollectionReport {
  /** Blob files this round relocated. */
  relocatedFileNumbers: number[]
  /** Blob files this round deleted. */
  deletedFileNumbers: number[]
  /** Frame bytes this round copied. */
  bytesMoved: number
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
  readonly #stats: Omit<CollectorStats, 'filesAwaitingDeletion'> = {
    bytesMoved: 0,
    framesMoved: 0,
    filesRelocated: 0,
    filesDeleted: 0,
    deadFilesFoundLive: 0,
    healQueuedCount: 0,
    filesHealed: 0,
    healFailedCount: 0,
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
    let handle: ValueHandle
    try {
      handle = decodeValueHandle(handleBytes)
    } catch {
      // A handle that does not decode points at nothing to reclaim; reads of it already fail.
      return
    }
    // A chunk list makes every chunk stale: no two index entries share a chunk frame, since
    // relocation moves a streamed value whole (#moveStream).
    for (const { fileNumber, frameSizeBytes } of framesOf(handle)) {
      if (this.#removed.has(fileNumber)) continue
      this.#pending.set(fileNumber, (this.#pending.get(fileNumber) ?? 0) + frameSizeBytes)
    }
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

  stats(): CollectorStats {
    return { ...this.#stats, filesAwaitingDeletion: this.#retired.size }
  }

  /**
   * One collection: files wholly dead are retired, files past the staleness threshold are
   * relocated then retired, files queued by queueHeal are relocated re-encoded, and retired
   * files are deleted if no reader can reach them.
   * @throws {StrataError} from reading a damaged live frame of a file the collection chose (it is
   * then left in place) or from writes. A heal the damage defeats is counted, not thrown.
   */
  async collect(): Promise<CollectionReport> {
    const port = this.#portOrThrow()
    const report: CollectionReport = { relocatedFileNumbers: [], deletedFileNumbers: [], bytesMoved: 0 }
    const version = port.currentVersion()
    const { dead, toRelocate } = this.#pick(version)
    const healing = this.#takeHealable(version)
    // Files only a heal asked for: their failure does not fail the round. A dead file is left to
    // the loop below, which retires it (nothing live to heal) or relocates it, healed.
    const healOnly = new Set(healing.filter((fileNumber) => !toRelocate.includes(fileNumber) && !dead.includes(fileNumber)))
    toRelocate.push(...healOnly)
    for (const fileNumber of dead) {
      // The count says every frame is stale; the index has the last word before a file goes.
      // A live frame here means the count ran ahead of the truth (a drop counted twice, or in
      // the wrong job's edit): relocating instead keeps every live value readable.
      const live = this.#hasLiveFrame(fileNumber)
      // A file that cannot be scanned (damaged) stays: nothing proves it unreferenced, and a
      // read of a live frame in it reports the damage itself. verify() lists it.
      if (live === undefined) continue
      if (live) {
        this.#stats.deadFilesFoundLive++
        toRelocate.push(fileNumber)
        continue
      }
      this.#retired.add(fileNumber)
      if (this.#retired.size >= DEAD_FILES_PER_DELETION_MAX) report.deletedFileNumbers.push(...(await this.deleteRetired()))
    }
    for (const fileNumber of toRelocate) {
      const heal = healing.includes(fileNumber)
      try {
        report.bytesMoved += await port.withWritesPaused(() => this.#relocate(fileNumber, heal))
      } catch (error) {
        if (!heal) throw error
        this.#stats.healFailedCount++
        this.#options.onHealFailed?.(fileNumber, error)
        // The frames moved before the failure keep their new handles; the rest stay readable
        // where they are, as a failed table heal leaves its table. An I/O error may be the
        // active file's, so it fails the round like any write error.
        if (healOnly.has(fileNumber) && isDamageCode(failureOf(error).code)) continue
        throw error
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
    for (const fileNumber of fileNumbers) this.#removed.add(fileNumber)
    // Liveness was judged on the index as it is now, which may hold writes not yet durable (an
    // unsynced overwrite or delete of a key whose old frame is in one of these files). A crash
    // after the removal would lose those writes and bring back the old handle, into a file that
    // is gone: make them durable first (torture seed 20250101, round 178, found it once reads
    // served from the value cache changed the operation order). Their frames and WAL records
    // are enough; this used to flush the memtable, a small level-0 table per round.
    await port.makeWritesDurable()
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
      const liveBytes = frameBytes - state.staleBytes
      if (toRelocate.length > 0 && liveBytesPicked + liveBytes > this.#options.relocationBytesMax) continue
      toRelocate.push(fileNumber)
      liveBytesPicked += liveBytes
    }
    return { dead, toRelocate }
  }

  /**
   * True when the index still maps some frame's key to that frame (keys only: no body decoded);
   * undefined when the file cannot be read or scanned.
   */
  #hasLiveFrame(fileNumber: number): boolean | undefined {
    const port = this.#portOrThrow()
    const reader = this.#log.tryOpenDetachedReader(fileNumber)
    if (reader === undefined) return undefined
    try {
      for (const frame of scanBlobFile(reader, { decodeValues: false })) {
        const key = Buffer.from(frame.key.buffer, frame.key.byteOffset, frame.key.byteLength).toString('latin1')
        if (isLive(port.lookupHandle(key), frame)) return true
      }
      return false
    } catch {
      return undefined
    } finally {
      reader.close()
    }
  }

  /**
   * Copies the live frames of `fileNumber` into the active file and points the index at the
   * copies; the last write is synced (after the blob file), so once this resolves the old file
   * is needed only by readers older than the relocation. Returns the bytes moved.
   */
  async #relocate(fileNumber: number, reencode: boolean): Promise<number> {
    this.#portOrThrow()
    const reader = this.#log.openDetachedReader(fileNumber)
    this.#relocating = fileNumber
    try {
      return await this.#relocateFrames(reader, reencode)
    } finally {
      this.#relocating = undefined
      reader.close()
    }
  }

  async #relocateFrames(reader: BlobFileReader, reencode: boolean): Promise<number> {
    const port = this.#portOrThrow()
    let chunk: { frame: ScannedFrame; key: string }[] = []
    let chunkBytes = 0
    let bytesMoved = 0
    // The scan checks each frame's header, key and frame checksum; bodies are decoded below, live
    // ones only: a damaged live body must fail here (or be repaired by ECC), never be copied on
    // unverified, and a damaged stale body must not stop the relocation that drops it.
    for (const frame of scanBlobFile(reader, { decodeValues: false })) {
      const key = Buffer.from(frame.key.buffer, frame.key.byteOffset, frame.key.byteLength).toString('latin1')
      const current = port.lookupHandle(key)
      if (!isLive(current, frame)) continue
      if (current![0] !== BLOB_HANDLE_FORMAT_VERSION) {
        // A chunk of a streamed value: the whole value moves, so later chunks of it in this
        // file are no longer referenced and the scan skips them.
        const handle = decodeValueHandle(current!)
        if (handle.kind === 'chunks') bytesMoved += await this.#moveStream(key, handle.list, reencode)
        continue
      }
      frame.value = reader.decodeValue(frame.checkedFrame)
      if (chunk.length > 0 && chunkBytes + frame.frameBytes.length > RELOCATION_CHUNK_BYTES_MAX) {
        bytesMoved += await this.#move(chunk, false, reencode)
        chunk = []
        chunkBytes = 0
      }
      chunk.push({ frame, key })
      chunkBytes += frame.frameBytes.length
    }
    if (chunk.length > 0) bytesMoved += await this.#move(chunk, true, reencode)
    return bytesMoved
  }

  /**
   * Copies every chunk of a streamed value into the active file (verified on the way: a damaged
   * chunk fails the round) and writes the new chunk list, synced. Moving the value whole, not
   * just the chunks in the file being relocated, keeps chunk frames unshared between index
   * entries, so dropping the old list later counts exactly its own frames stale. Readers older
   * than the new list keep reading the old frames until the old files are deleted.
   */
  async #moveStream(key: string, list: ChunkList, reencode: boolean): Promise<number> {
    const port = this.#portOrThrow()
    const keyBytes = Buffer.from(key, 'latin1')
    const moved: ChunkList = { totalSizeBytes: list.totalSizeBytes, chunkSizeBytes: list.chunkSizeBytes, chunks: [] }
    let bytesMoved = 0
    for (let chunkIndex = 0; chunkIndex < list.chunks.length; chunkIndex++) {
      const handle = chunkHandleOf(list, chunkIndex)
      const reader = this.#log.readerOf(handle.fileNumber, keyBytes)
      const checked = reader.readCheckedFrame(handle, keyBytes)
      const value = reader.decodeValue(checked)
      const [copy] = reencode
        ? this.#log.append([{ key: keyBytes, value }])
        : this.#log.copy([{ frameBytes: checked.frameBytes, rawValueSizeBytes: handle.rawValueSizeBytes }])
      moved.chunks.push({ fileNumber: copy.fileNumber, offsetBytes: copy.offsetBytes, frameSizeBytes: copy.frameSizeBytes })
      bytesMoved += checked.frameBytes.length
      // Copies run synchronously; a turn per chunk keeps a long value from starving reads.
      if (chunkIndex % 4 === 3) await new Promise((resolve) => setImmediate(resolve))
    }
    await this.#log.syncAll()
    await port.writeHandles([{ kind: OpKind.BlobHandle, key, value: encodeChunkList(moved) }], true)
    this.#stats.bytesMoved += bytesMoved
    this.#stats.framesMoved += moved.chunks.length
    return bytesMoved
  }

  async #move(chunk: readonly { frame: ScannedFrame; key: string }[], last: boolean, reencode: boolean): Promise<number> {
    const port = this.#portOrThrow()
    const handles = reencode
      ? this.#log.append(chunk.map(({ frame }) => ({ key: frame.key, value: frame.value! })))
      : this.#log.copy(chunk.map(({ frame }) => ({ frameBytes: frame.frameBytes, rawValueSizeBytes: frame.rawValueSizeBytes })))
    const ops: BatchOp[] = chunk.map(({ key }, index) => ({ kind: OpKind.BlobHandle, key, value: encodeBlobHandle(handles[index]) }))
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
