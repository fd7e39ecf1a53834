/**
 * ValueLog: the set of blob files of one database. It owns the active file (where separated
 * values are appended, once: WiscKey-style, the WAL then holds only handles), its rotation at a
 * target size, sealing (footer, sync, final meta in the manifest), reads by handle through a
 * bounded reader cache, and the durability check WAL replay asks for.
 *
 * Ordering rules it keeps (docs/formats/blob-file.md §6):
 * - a blob file is registered in the manifest (and its directory entry synced) before any handle
 *   into it is written, so no handle ever names a file that recovery would treat as an orphan;
 * - `syncAll()` covers every frame appended before the call, in the active file and in files
 *   still being sealed, so a synced WAL record never outlives the frames it points at.
 *
 * Single-threaded; `append` is synchronous, rotation and sealing run in the background.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { StrataError, isStrataError } from '../engine/errors.ts'
import type { Vfs, VfsFile } from '../engine/vfs/vfs.ts'
import type { BlockCodec } from '../engine/transform/block-codec.ts'
import { blobFileName, parseFileName, type Version, type VersionEdit } from '../engine/manifest/mod.ts'
import {
  BlobFileReader,
  BlobFileWriter,
  FILE_HEADER_SIZE_BYTES,
  FOOTER_SIZE_BYTES,
  describeKey,
  encodeFooter,
  verifiedExtentOf,
  type BlobEntry,
  type VerifiedExtent,
  type EncodedFrame,
} from './blob-file/mod.ts'
import type { BlobHandle } from './handle.ts'
import { chunkHandleOf, type ChunkList } from './chunk-list.ts'
import { decodeValueHandle, framesOf } from './value-handle.ts'
import { STREAM_GET_SIZE_BYTES_MAX_DEFAULT } from './limits.ts'
import { ReaderCache } from './reader-cache.ts'
import { sealedMetaOf, type BlobFileMeta } from './gc/accounting.ts'
import type { StaleBytesDelta } from './gc/recovery-recount.ts'
import { ValueCache, type ValueCacheStats } from './value-cache.ts'
import type { BlockCache } from '../engine/cache/mod.ts'

/** What the value log needs of the engine Db (kept narrow so tests can fake it). */
export interface ManifestPort {
  logValueEdit(edit: VersionEdit): Promise<Version>
  currentVersion(): Version
  /** A file number no other file uses or will use (the engine's allocator). */
  allocateFileNumber(): number
  /** The engine's block cache, which verified values share (absent in tests: nothing cached). */
  sharedBlockCache?(): BlockCache
}

/** Options of a ValueLog. */
export interface ValueLogOptions {
  vfs: Vfs
  directory: string
  /** Block transform of frame bodies; default PlainCodec. */
  codec?: BlockCodec
  /** Rotate the active file once it holds this many bytes. */
  fileSizeBytesTarget: number
  /** Open readers kept by the reader cache. */
  readerCountMax: number
  /** Largest streamed value `read()` returns whole; default STREAM_GET_SIZE_BYTES_MAX_DEFAULT. */
  streamGetSizeBytesMax?: number
  /** Told when a blob file is removed (GC, or an orphan of a crash), after its caches dropped it. */
  onFileRemoved?: (fileNumber: number) => void
}

/*
 * File numbers: a new blob file takes its number from the engine's allocator
 * (`Db.allocateFileNumber()`), like tables and WALs. Stores written before that hook existed
 * numbered blob files `highest + 1024` and moved the allocator past them through the edit's
 * nextFileNumber; nothing here assumes numbers are dense, so they open unchanged
 * (test/blob-gc.test.ts "a store with gap-numbered blob files ...").
 */

/** Errors of a key this open lacks: never read as damage or as a torn write. */
const KEY_ERROR_CODES: ReadonlySet<string> = new Set(['MISSING_KEY', 'UNKNOWN_KEY_EPOCH'])

/** A sealed file's meta has a size; a file registered at creation carries size 0 until sealed. */
export function isSealed(sizeBytes: number): boolean {
  return sizeBytes > 0
}

/** Reads of a file being written: a separate read handle whose size is the writer's. */
class LiveReadFile implements VfsFile {
  readonly path: string
  readonly #inner: VfsFile
  readonly #sizeBytes: () => number

  constructor(inner: VfsFile, sizeBytes: () => number) {
    this.path = inner.path
    this.#inner = inner
    this.#sizeBytes = sizeBytes
  }

  read(target: Uint8Array, positionBytes: number): number {
    return this.#inner.read(target, positionBytes)
  }

  append(): void {
    throw new StrataError('IO_ERROR', `Cannot append to ${this.path}: read handle`)
  }

  async sync(): Promise<void> {}

  sizeBytes(): number {
    return this.#sizeBytes()
  }

  truncate(): void {
    throw new StrataError('IO_ERROR', `Cannot truncate ${this.path}: read handle`)
  }

  close(): void {
    this.#inner.close()
  }
}

/** A file being written: its writer and a reader that sees its frames as they are appended. */
interface OpenBlobFile {
  writer: BlobFileWriter
  reader: BlobFileReader
}

/** The blob files of one database. */
export class ValueLog {
  readonly #vfs: Vfs
  readonly #directory: string
  readonly #codec: BlockCodec | undefined
  readonly #fileSizeBytesTarget: number
  readonly #readers: ReaderCache
  readonly #values = new ValueCache()
  readonly #onFileRemoved: ((fileNumber: number) => void) | undefined
  readonly #streamGetSizeBytesMax: number
  #manifest: ManifestPort | undefined
  #active: OpenBlobFile | undefined
  /**
   * The writer of the file a rotation is creating: registered in the manifest before it becomes
   * #active, so openFileSizeBytes must see it (stats() may run in between).
   */
  #creating: BlobFileWriter | undefined
  /** Files being sealed: still readable through their live reader until the seal completes. */
  readonly #sealing = new Map<number, { file: OpenBlobFile; done: Promise<void>; framesEndBytes: number }>()
  #rotation: Promise<void> | undefined
  #failure: unknown
  /** Set when finishing a file failed: frames of it may be lost, so syncAll can never succeed. */
  #sealFailure: unknown
  /** Bytes appended to blob files (frames, headers, footers, relocation copies). */
  bytesWritten = 0
  /** Files whose sealing edit is in flight; their stale deltas wait (see takeStaleDeltas). */
  readonly sealEditsInFlight = new Set<number>()
  /**
   * At open: each unfinished file's verified extent (verifiedExtentOf), worked out on the first
   * damaged frame WAL replay meets in it and used again by cutRecoveredFile (the files do not
   * change in between), so the file is decoded once.
   */
  readonly #verifiedExtents = new Map<number, VerifiedExtent>()
  /**
   * Stream files whose chunk list may already be in the index but which the manifest does not
   * list yet (docs/formats/blob-stream.md §5): their stale deltas wait like sealEditsInFlight's.
   */
  readonly registrationsInFlight = new Set<number>()
  /**
   * Set when close() starts: from then on readerOf refuses. A reader opened after close went
   * into a cache nothing would ever clear again: a getStream stream read on after close() left
   * up to blobReaderCountMax descriptors open per closed store (review, 2026-11-26).
   */
  #closed = false

  constructor(options: ValueLogOptions) {
    this.#vfs = options.vfs
    this.#directory = options.directory
    this.#codec = options.codec
    this.#fileSizeBytesTarget = options.fileSizeBytesTarget
    this.#readers = new ReaderCache(options.readerCountMax)
    this.#streamGetSizeBytesMax = options.streamGetSizeBytesMax ?? STREAM_GET_SIZE_BYTES_MAX_DEFAULT
    this.#onFileRemoved = options.onFileRemoved
  }

  pathOf(fileNumber: number): string {
    return path.join(this.#directory, blobFileName(fileNumber))
  }

  /** File numbers of every blob file in the directory. */
  filesOnDisk(): number[] {
    const numbers: number[] = []
    for (const name of this.#vfs.list(this.#directory)) {
      const parsed = parseFileName(name)
      if (parsed?.kind === 'blob') numbers.push(parsed.fileNumber)
    }
    return numbers.sort((a, b) => a - b)
  }

  /**
   * Before the engine replays its WAL: syncs every unfinished blob file, so that whatever
   * replay finds readable (and may flush into a durable table) is durable too.
   */
  async syncUnfinishedFiles(): Promise<void> {
    for (const fileNumber of this.filesOnDisk()) {
      const filePath = this.pathOf(fileNumber)
      if (this.#vfs.sizeBytes(filePath) < FILE_HEADER_SIZE_BYTES) continue
      const file = this.#vfs.openAppend(filePath)
      try {
        await file.sync()
      } finally {
        file.close()
      }
    }
  }

  /** Connects the engine once it is open: from here on files can be registered. */
  attach(manifest: ManifestPort): void {
    this.#manifest = manifest
    const blockCache = manifest.sharedBlockCache?.()
    if (blockCache !== undefined) this.#values.attach(blockCache)
  }

  // ------------------------------------------------------------------ reads

  /**
   * The value behind an encoded handle, checked against the key the index holds.
   * @throws {StrataError} `CORRUPTION` (handle, frame, key mismatch, file missing),
   * `CHECKSUM_MISMATCH`, codec codes; each names the file and the key.
   */
  read(key: string, handleBytes: Uint8Array): Uint8Array {
    const handle = decodeValueHandle(handleBytes)
    if (handle.kind === 'frame') return this.readFrame(key, handle.frame)
    return this.#readWhole(Buffer.from(key, 'latin1'), handle.list)
  }

  /**
   * The separated value at a decoded `frame`: from the value cache, else read, verified and
   * offered to the cache. For BlobDb's handle cache, which skips the index on a hit and passes
   * the caller's key bytes when it has them (`keyBytesGiven`, the bytes of `key` in latin1).
   * @throws {StrataError} as `read`.
   */
  readFrame(key: string, frame: BlobHandle, keyBytesGiven?: Uint8Array): Uint8Array {
    const cached = this.#values.read(frame, key)
    if (cached !== undefined) return cached
    const keyBytes = keyBytesGiven ?? Buffer.from(key, 'latin1')
    const value = this.readerOf(frame.fileNumber, keyBytes).read(frame, keyBytes)
    this.#values.admit(frame, key, value)
    return value
  }

  /** A streamed value read whole (get, iterators), refused past the configured bound. */
  #readWhole(keyBytes: Uint8Array, list: ChunkList): Uint8Array {
    if (list.totalSizeBytes > this.#streamGetSizeBytesMax) {
      throw new StrataError(
        'VALUE_TOO_LARGE',
        `Cannot read value of key ${describeKey(keyBytes)} whole: ${list.totalSizeBytes} bytes exceed ${this.#streamGetSizeBytesMax}; read it with getStream()`,
        { details: { sizeBytes: list.totalSizeBytes, sizeBytesMax: this.#streamGetSizeBytesMax } },
      )
    }
    const value = Buffer.allocUnsafe(list.totalSizeBytes)
    let offsetBytes = 0
    for (let index = 0; index < list.chunks.length; index++) {
      const chunk = this.readChunk(keyBytes, list, index)
      value.set(chunk, offsetBytes)
      offsetBytes += chunk.length
    }
    return value
  }

  /**
   * Chunk `chunkIndex` of a streamed value, checked against the key and its expected raw size.
   * @throws {StrataError} as `read`, and `CORRUPTION` when the frame's size disagrees with the list.
   */
  readChunk(keyBytes: Uint8Array, list: ChunkList, chunkIndex: number): Uint8Array {
    const handle = chunkHandleOf(list, chunkIndex)
    const bytes = this.readerOf(handle.fileNumber, keyBytes).read(handle, keyBytes)
    if (bytes.length !== handle.rawValueSizeBytes) {
      throw new StrataError('CORRUPTION', `Cannot read chunk ${chunkIndex} of key ${describeKey(keyBytes)}: ${bytes.length} bytes, the chunk list says ${handle.rawValueSizeBytes}`, {
        details: { fileNumber: handle.fileNumber, offsetBytes: handle.offsetBytes, chunkIndex },
      })
    }
    return bytes
  }

  /**
   * For WAL replay: true when the frame a logged handle points at was made durable: it is
   * whole and verifies in an unfinished file, lies inside a finished (sealed) file, lies in a
   * file `version` lists as sealed that no longer reads as finished (damage), or its file was
   * removed by GC (see below).
   */
  isDurable(key: string, handleBytes: Uint8Array, version: Version): boolean {
    let frames: BlobHandle[]
    try {
      frames = framesOf(decodeValueHandle(handleBytes))
    } catch {
      return false
    }
    const keyBytes = Buffer.from(key, 'latin1')
    // A chunk list is durable when every chunk is: its files were sealed and synced before the
    // list was logged (docs/formats/blob-stream.md §5), so this holds unless the disk lost them.
    return frames.every((frame) => this.#isFrameDurable(keyBytes, frame, version))
  }

  /**
   * For a frame in a finished file, isDurable's answer is whether the frame lies inside the
   * frames region (frameStatus's 'missing' test); deciding that without decoding the body keeps
   * replaying a chunk list of a large value from reading the whole value.
   */
  #isInsideFinishedFile(handle: BlobHandle): boolean | undefined {
    if (this.#active?.writer.fileNumber === handle.fileNumber || this.#sealing.has(handle.fileNumber)) return undefined
    const reader = this.readerOf(handle.fileNumber)
    if (reader.footer === undefined) return undefined
    return handle.offsetBytes + handle.frameSizeBytes <= reader.framesEndBytes()
  }

  #isFrameDurable(keyBytes: Uint8Array, handle: BlobHandle, version: Version): boolean {
    // A missing file was removed by GC: a file is registered (and its directory entry synced)
    // before any handle into it is written, and leaves only through GC, which relocates or
    // drops sealed, synced files after the records that supersede their handles are synced.
    // So the frame was durable and a later record in this log shadows the handle. Returning
    // false here stopped replay at such a record and lost every acknowledged write after it
    // (test/blob-gc-crash.test.ts). A file deleted behind our back still fails loudly on read.
    if (!this.#vfs.exists(this.pathOf(handle.fileNumber))) return true
    // A file the manifest lists as sealed was synced whole with its footer before the seal edit:
    // one that no longer opens or shows a valid footer (a lost or zeroed tail, a flipped footer
    // byte) is damage. Read as unfinished, its first bad frame looked like a torn write, and
    // replay stopped there, dropping that record and every acknowledged write after it. Kept,
    // the record's read fails typed (or reads, if its own frame is intact).
    const listedSealed = isSealed(version.blobFiles.get(handle.fileNumber)?.meta.sizeBytes ?? 0)
    try {
      const inside = this.#isInsideFinishedFile(handle)
      if (inside !== undefined) return inside
      if (listedSealed) return true
      const reader = this.readerOf(handle.fileNumber, keyBytes)
      const status = reader.frameStatus(handle, keyBytes)
      // A finished file was synced whole when sealed: a frame there that fails its checks is
      // damage, not a torn write. Replay keeps the record so that reading it fails loudly
      // (CHECKSUM_MISMATCH naming file and key) instead of silently dropping it and every
      // later record. In an unfinished file a bad frame is a write the crash cut short, unless
      // a verified frame follows it (verifiedExtentOf): then it is damage too.
      if (reader.footer !== undefined) return status !== 'missing'
      if (status !== 'corrupt') return status === 'durable'
      return handle.offsetBytes + handle.frameSizeBytes <= this.#verifiedExtentOf(handle.fileNumber, reader).endBytes
    } catch (error) {
      // A key this open lacks is not damage: fail the open, as reading the record would, rather
      // than stop replay here in silence.
      if (isStrataError(error) && !KEY_ERROR_CODES.has(error.code) && error.code !== 'IO_ERROR') return listedSealed
      throw error
    }
  }

  /**
   * The reader of `fileNumber`: the live one of a file being written, else a cached one.
   * @throws {StrataError} `CLOSED` once close() has started; `CORRUPTION` when the file is missing.
   */
  readerOf(fileNumber: number, keyForErrors?: Uint8Array): BlobFileReader {
    if (this.#closed) throw new StrataError('CLOSED', `Cannot read blob file ${fileNumber}: database is closed`, { details: { fileNumber } })
    if (this.#active?.writer.fileNumber === fileNumber) return this.#active.reader
    const sealing = this.#sealing.get(fileNumber)
    if (sealing !== undefined) return sealing.file.reader
    return this.#readers.get(fileNumber, () => {
      const filePath = this.pathOf(fileNumber)
      if (!this.#vfs.exists(filePath)) {
        const keyText = keyForErrors === undefined ? '' : ` for key ${describeKey(keyForErrors)}`
        throw new StrataError('CORRUPTION', `Cannot read blob${keyText} from ${filePath}: file is missing`, {
          details: { fileName: filePath, fileNumber },
        })
      }
      return BlobFileReader.open(this.#vfs.openRead(filePath), { codec: this.#codec, expectedFileNumber: fileNumber })
    })
  }

  /** A reader of a finished file outside the cache (a long scan must not lose it to eviction). */
  openDetachedReader(fileNumber: number): BlobFileReader {
    return BlobFileReader.open(this.#vfs.openRead(this.pathOf(fileNumber)), { codec: this.#codec, expectedFileNumber: fileNumber })
  }

  /** `openDetachedReader`, or undefined when the file cannot be opened (missing, damaged header). */
  tryOpenDetachedReader(fileNumber: number): BlobFileReader | undefined {
    try {
      return this.openDetachedReader(fileNumber)
    } catch {
      return undefined
    }
  }

  /** Closes the cached reader of `fileNumber` and drops its cached values (file removed or cut). */
  /** A file is gone: drop what the caches hold of it and tell onFileRemoved. */
  #forget(fileNumber: number): void {
    this.#evictCaches(fileNumber)
    this.#onFileRemoved?.(fileNumber)
  }

  #evictCaches(fileNumber: number): void {
    this.#readers.evict(fileNumber)
    this.#values.forget(fileNumber)
  }

  readerCacheStats(): { openCount: number; hitCount: number; missCount: number } {
    return { openCount: this.#readers.size, hitCount: this.#readers.hitCount, missCount: this.#readers.missCount }
  }

  valueCacheStats(): ValueCacheStats {
    return this.#values.stats()
  }

  // ------------------------------------------------------------------ writes

  /** True when `append` can run now (an active file exists and no failure stopped writes). */
  canAppend(): boolean {
    return this.#active !== undefined && this.#failure === undefined
  }

  /** The number of the file being appended to, if any. */
  activeFileNumber(): number | undefined {
    return this.#active?.writer.fileNumber
  }

  /**
   * Header and frame bytes of a file still open for writing (active, or being sealed: its footer
   * is not counted), or undefined for a finished file (its size is in the manifest).
   */
  openFileSizeBytes(fileNumber: number): number | undefined {
    if (this.#active?.writer.fileNumber === fileNumber) return this.#active.writer.sizeBytes()
    if (this.#creating?.fileNumber === fileNumber) return this.#creating.sizeBytes()
    return this.#sealing.get(fileNumber)?.framesEndBytes
  }

  /** Numbers of files still being sealed. */
  sealingFileNumbers(): number[] {
    return [...this.#sealing.keys()]
  }

  /** Waits until an active file exists: creates and registers the first one if needed. */
  async ensureActive(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure
    if (this.#active !== undefined) return
    this.#rotation ??= this.#rotate()
    await this.#rotation
  }

  /**
   * Appends the entries to the active file as one write; returns their handles. Starts a
   * rotation in the background once the file passes its target size.
   */
  append(entries: readonly BlobEntry[]): BlobHandle[] {
    const active = this.#activeOrThrow()
    const before = active.writer.sizeBytes()
    const handles = active.writer.addMany(entries)
    this.bytesWritten += active.writer.sizeBytes() - before
    this.#maybeRotate()
    return handles
  }

  /** Appends frames copied verbatim from another blob file (GC relocation). */
  copy(frames: readonly EncodedFrame[]): BlobHandle[] {
    const active = this.#activeOrThrow()
    const before = active.writer.sizeBytes()
    const handles = active.writer.copyFrames(frames)
    this.bytesWritten += active.writer.sizeBytes() - before
    this.#maybeRotate()
    return handles
  }

  /** Makes every frame appended before this call durable (active file and files being sealed). */
  syncAll(): Promise<void> {
    return this.#syncAllWith((writer) => writer.sync())
  }

  /**
   * syncAll() for a read-only store's checkpoint: the active file is synced up to its last whole
   * frame even after a failed append (BlobFileWriter.syncIntact), since the WAL records that point
   * into it are older than the failure. A failed fsync or seal still rejects.
   */
  syncAllIntact(): Promise<void> {
    return this.#syncAllWith((writer) => writer.syncIntact())
  }

  /** Waits for the files being sealed and syncs the active one through `syncActive`. */
  async #syncAllWith(syncActive: (writer: BlobFileWriter) => Promise<void>): Promise<void> {
    if (this.#sealFailure !== undefined) throw this.#sealFailure
    const waits: Promise<void>[] = [...this.#sealing.values()].map((entry) => entry.done)
    const writer = this.#active?.writer
    if (writer !== undefined && writer.durableSizeBytes() < writer.sizeBytes()) waits.push(this.#guard(syncActive(writer)))
    await Promise.all(waits)
  }

  #activeOrThrow(): OpenBlobFile {
    if (this.#failure !== undefined) throw this.#failure
    assert(this.#active !== undefined, 'append without an active blob file: call ensureActive() first')
    return this.#active
  }

  #maybeRotate(): void {
    if (this.#rotation !== undefined) return
    if (this.#active!.writer.sizeBytes() < this.#fileSizeBytesTarget) return
    this.#rotation = this.#rotate()
    // A failed rotation is kept in #failure and thrown by the next append; not unhandled here.
    this.#rotation.catch(() => undefined)
  }

  /** Creates and registers the next file, switches appends to it, and seals the previous one. */
  async #rotate(): Promise<void> {
    try {
      const next = await this.#createFile()
      const previous = this.#active
      this.#active = next
      if (previous !== undefined) {
        // No append reaches `previous` after this point: its frames end here (the footer follows).
        const framesEndBytes = previous.writer.sizeBytes()
        const done = this.#seal(previous)
        this.#sealing.set(previous.writer.fileNumber, { file: previous, done, framesEndBytes })
        done.catch(() => undefined)
      }
    } catch (error) {
      this.#failure ??= error
      throw error
    } finally {
      // Only now: until #active is set, openFileSizeBytes finds the new file here (no await between).
      this.#creating = undefined
      this.#rotation = undefined
    }
  }

  async #createFile(): Promise<OpenBlobFile> {
    const manifest = this.#manifestOrThrow()
    const fileNumber = manifest.allocateFileNumber()
    const filePath = this.pathOf(fileNumber)
    const writer = BlobFileWriter.create(this.#vfs.create(filePath), { fileNumber, codec: this.#codec })
    this.bytesWritten += writer.sizeBytes()
    this.#creating = writer
    try {
      await writer.sync()
      await this.#vfs.syncDirectory(this.#directory)
      // Registered with size 0 (unsealed) before any handle into it exists: see the file comment.
      // The engine fills in nextFileNumber, which is already past fileNumber.
      const edit: VersionEdit = { addedBlobFiles: [{ fileNumber, sizeBytes: 0, valueCount: 0, totalValueBytes: 0 }] }
      await manifest.logValueEdit(edit)
    } catch (error) {
      writer.close()
      throw error
    }
    const reader = BlobFileReader.open(new LiveReadFile(this.#vfs.openRead(filePath), () => writer.sizeBytes()), { codec: this.#codec, expectedFileNumber: fileNumber })
    return { writer, reader }
  }

  /** Footer, sync, close; then the final meta replaces the size-0 registration. */
  async #seal(file: OpenBlobFile): Promise<void> {
    const fileNumber = file.writer.fileNumber
    try {
      const sizeBefore = file.writer.sizeBytes()
      let summary
      try {
        summary = await file.writer.finish()
      } catch (error) {
        // The footer append or its sync failed, so the frames appended since the file's last
        // good sync may never reach the disk (after a failed fsync the kernel may drop the dirty
        // pages), and recovery will cut the file there. Once the file leaves #sealing, syncAll
        // would no longer see it and a flush could make a table holding handles into those
        // frames durable: stop the value log instead, so syncAll (synced writes, beforeFlush)
        // fails from here on (test/blob-crash.test.ts, seed 20250101 round 2596).
        this.#sealFailure ??= error
        this.#failure ??= error
        throw error
      }
      this.bytesWritten += summary.sizeBytes - sizeBefore
      await this.#logSealEdit([{ fileNumber, sizeBytes: summary.sizeBytes, valueCount: summary.valueCount, totalValueBytes: summary.totalValueBytes }])
    } finally {
      this.#sealing.delete(fileNumber)
      file.reader.close()
    }
  }

  /**
   * Replaces the size-0 registrations of `metas` by their final metas in one edit, carrying each
   * file's stale bytes over. Stale deltas for the files are held back while this runs
   * (sealEditsInFlight), and an empty edit first drains the manifest queue, so the stale figures
   * read here are exact. `moreStaleBytes` (the recount at open) runs once the deltas are held
   * back, and what it returns joins the same edit.
   */
  async #logSealEdit(metas: readonly BlobFileMeta[], moreStaleBytes?: () => Promise<StaleBytesDelta[]>): Promise<void> {
    const manifest = this.#manifestOrThrow()
    for (const meta of metas) this.sealEditsInFlight.add(meta.fileNumber)
    try {
      await manifest.logValueEdit({})
      const more = moreStaleBytes === undefined ? [] : await moreStaleBytes()
      const version = manifest.currentVersion()
      const carried: StaleBytesDelta[] = []
      for (const { fileNumber } of metas) {
        const staleBytes = version.blobFiles.get(fileNumber)?.staleBytes ?? 0
        if (staleBytes > 0) carried.push({ fileNumber, staleBytesDelta: staleBytes })
      }
      await manifest.logValueEdit({
        removedBlobFiles: metas.map((meta) => meta.fileNumber),
        addedBlobFiles: metas.map((meta) => ({ ...meta })),
        blobStaleBytes: [...carried, ...more],
      })
    } finally {
      for (const meta of metas) this.sealEditsInFlight.delete(meta.fileNumber)
    }
  }

  /** verifiedExtentOf of unfinished file `fileNumber`, read through `reader` once per open. */
  #verifiedExtentOf(fileNumber: number, reader: BlobFileReader): VerifiedExtent {
    let extent = this.#verifiedExtents.get(fileNumber)
    if (extent === undefined) {
      extent = verifiedExtentOf(reader)
      this.#verifiedExtents.set(fileNumber, extent)
    }
    return extent
  }

  /**
   * At open: a file the manifest lists unsealed (the process stopped while writing it) is cut
   * after its last frame whose body verifies (verifiedExtentOf), given a footer and synced;
   * returns its final meta, which `sealRecoveredFiles` then records. WAL replay has already
   * stopped before any handle past that point (isDurable), so nothing refers to the bytes cut.
   */
  async cutRecoveredFile(fileNumber: number): Promise<BlobFileMeta> {
    const filePath = this.pathOf(fileNumber)
    const file = this.#vfs.openAppend(filePath)
    let footer
    try {
      const reader = BlobFileReader.open(file, { codec: this.#codec, expectedFileNumber: fileNumber })
      footer = reader.footer
      if (footer === undefined) {
        // Cut after the last verified frame only: a damaged frame before it stays (verifiedExtentOf).
        const extent = this.#verifiedExtentOf(fileNumber, reader)
        file.truncate(extent.endBytes)
        footer = { frameCount: extent.frameCount, rawValueBytesTotal: extent.rawValueBytesTotal, framesSizeBytes: extent.endBytes - FILE_HEADER_SIZE_BYTES }
        file.append([encodeFooter(footer)])
        this.bytesWritten += FOOTER_SIZE_BYTES
        await file.sync()
      }
    } finally {
      file.close()
    }
    // Its readers saw it unfinished; the file stays, so its repair counts and marks stay too.
    this.#evictCaches(fileNumber)
    return sealedMetaOf(fileNumber, footer)
  }

  /**
   * Seals the files `cutRecoveredFile` finished, in one manifest edit that also carries what
   * `moreStaleBytes` returns (the recount at open, blob-db.ts): a crash before the edit leaves
   * the files unsealed, so the next open cuts (a no-op now), recounts and seals them again.
   */
  async sealRecoveredFiles(metas: readonly BlobFileMeta[], moreStaleBytes?: () => Promise<StaleBytesDelta[]>): Promise<void> {
    if (metas.length === 0) return
    await this.#logSealEdit(metas, moreStaleBytes)
  }

  /**
   * Starts a private file for the chunks of one streamed value (docs/formats/blob-stream.md §5).
   * The manifest does not list it until `registerStreamFiles`: a crash before then leaves an
   * orphan that open deletes, so a stream cut short leaves no blob space behind. Its number is
   * the engine allocator's; after a crash the allocator restarts past every file on disk.
   */
  createStreamFile(): BlobFileWriter {
    const fileNumber = this.#manifestOrThrow().allocateFileNumber()
    const writer = BlobFileWriter.create(this.#vfs.create(this.pathOf(fileNumber)), { fileNumber, codec: this.#codec })
    this.bytesWritten += writer.sizeBytes()
    return writer
  }

  /** Lists sealed stream files in the manifest (after their chunk list reached the index). */
  async registerStreamFiles(metas: readonly { fileNumber: number; sizeBytes: number; valueCount: number; totalValueBytes: number }[]): Promise<void> {
    if (metas.length === 0) return
    for (const meta of metas) assert(isSealed(meta.sizeBytes), `stream file ${meta.fileNumber} registered unsealed`)
    await this.#manifestOrThrow().logValueEdit({ addedBlobFiles: metas.map((meta) => ({ ...meta })) })
  }

  /** Deletes an unregistered stream file (its stream failed before its chunk list was written). */
  removeStreamFile(fileNumber: number): void {
    this.#forget(fileNumber)
    const filePath = this.pathOf(fileNumber)
    if (this.#vfs.exists(filePath)) this.#vfs.remove(filePath)
  }

  /** Syncs the directory entries of files created since the last sync. */
  async syncDirectory(): Promise<void> {
    await this.#vfs.syncDirectory(this.#directory)
  }

  /** Removes blob files from the manifest, then from disk. */
  async removeFiles(fileNumbers: readonly number[]): Promise<void> {
    if (fileNumbers.length === 0) return
    await this.#manifestOrThrow().logValueEdit({ removedBlobFiles: [...fileNumbers] })
    for (const fileNumber of fileNumbers) {
      this.#forget(fileNumber)
      const filePath = this.pathOf(fileNumber)
      if (this.#vfs.exists(filePath)) this.#vfs.remove(filePath)
    }
  }

  /** Deletes a file no version lists (an orphan of a crash). */
  removeOrphan(fileNumber: number): void {
    this.#forget(fileNumber)
    this.#vfs.remove(this.pathOf(fileNumber))
  }

  /** Drops cached readers (after recovery replaced unfinished files by finished ones). */
  clearReaders(): void {
    this.#readers.clear()
    this.#verifiedExtents.clear()
  }

  /**
   * Waits for a rotation in flight (the next file created and registered, the previous one's
   * seal started), so the manifest lists every blob file on disk. A failed rotation is not
   * thrown here: it is kept in #failure and thrown by the next append.
   */
  async settleRotation(): Promise<void> {
    if (this.#rotation !== undefined) await this.#rotation.catch(() => undefined)
  }

  /** Seals the active file and waits for every seal; closes readers, and readerOf refuses from now on. */
  async close(): Promise<void> {
    this.#closed = true
    await this.settleRotation()
    const active = this.#active
    this.#active = undefined
    const waits = [...this.#sealing.values()].map((entry) => entry.done.catch(() => undefined))
    await Promise.all(waits)
    if (active !== undefined) {
      if (this.#failure === undefined) await this.#seal(active)
      else {
        active.writer.close()
        active.reader.close()
      }
    }
    this.#readers.clear()
  }

  #manifestOrThrow(): ManifestPort {
    assert(this.#manifest !== undefined, 'value log used before the engine was attached')
    return this.#manifest
  }

  async #guard(work: Promise<void>): Promise<void> {
    try {
      await work
    } catch (error) {
      this.#failure ??= error
      throw error
    }
  }
}
