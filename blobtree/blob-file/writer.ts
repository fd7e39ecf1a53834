/**
 * BlobFileWriter: appends value frames to one blob file and hands back a value handle per frame.
 * Single writer per file, not reentrant; every `add*` call appends synchronously (one
 * `VfsFile.append` per call, writev-style chunks, no concatenation of values), so the handle it
 * returns points at bytes already in the file (page cache). They are durable once `sync()`
 * resolves: the engine must sync the blob file before the WAL record holding the handle
 * (docs/formats/blob-file.md §6). The caller creates the file and syncs its directory.
 *
 * File layout (docs/formats/blob-file.md §1):
 *   [file header 40 B] [frame]* [footer 56 B, written by finish()]
 *
 * File header (§2):
 * | offset | size | field         | encoding                                   |
 * |-------:|-----:|---------------|--------------------------------------------|
 * |      0 |    4 | magic         | "SBLF"                                     |
 * |      4 |    1 | formatVersion | u8, currently 1                            |
 * |      5 |    3 | reserved      | zero                                       |
 * |      8 |    8 | fileNumber    | u64 LE                                     |
 * |     16 |    4 | codecId       | u32 LE, codec configuration of the bodies  |
 * |     20 |    4 | reserved      | zero                                       |
 * |     24 |   16 | checksum      | XXH3-128 of bytes 0–23                     |
 *
 * Frame (§3):
 * | offset | size | field             | encoding                                                  |
 * |-------:|-----:|-------------------|-----------------------------------------------------------|
 * |      0 |    1 | kind              | u8, 1 = frame                                             |
 * |      1 |    3 | reserved          | zero                                                      |
 * |      4 |    4 | keySizeBytes      | u32 LE                                                    |
 * |      8 |    4 | rawValueSizeBytes | u32 LE                                                    |
 * |     12 |    4 | bodySizeBytes     | u32 LE                                                    |
 * |     16 |    8 | originFileNumber  | u64 LE, BlockContext.fileNumber of the body               |
 * |     24 |   16 | checksum          | XXH3-128 of bytes 0–23, the key, and the body's first     |
 * |        |      |                   | min(32, bodySizeBytes) bytes                              |
 * |     40 |    k | key               |                                                           |
 * |   40+k |    b | body              | BlockCodec output (BlockType.BlobFrame) of the value      |
 *
 * Footer (§4):
 * | offset | size | field              | encoding                                   |
 * |-------:|-----:|--------------------|--------------------------------------------|
 * |      0 |    1 | kind               | u8, 2 = footer                             |
 * |      1 |    7 | reserved           | zero                                       |
 * |      8 |    8 | frameCount         | u64 LE                                     |
 * |     16 |    8 | rawValueBytesTotal | u64 LE                                     |
 * |     24 |    8 | framesSizeBytes    | u64 LE, bytes between file header and footer |
 * |     32 |    4 | magic              | "SBLF"                                     |
 * |     36 |    1 | formatVersion      | u8, currently 1                            |
 * |     37 |    3 | reserved           | zero                                       |
 * |     40 |   16 | checksum           | XXH3-128 of bytes 0–39                     |
 */
import assert from 'node:assert/strict'
import { StrataError } from '../../engine/errors.ts'
import type { VfsFile } from '../../engine/vfs/vfs.ts'
import { BlockType, type BlockCodec, type BlockContext } from '../../engine/transform/block-codec.ts'
import { PlainCodec } from '../../engine/transform/plain-codec.ts'
import type { BlobHandle } from '../handle.ts'
import {
  BLOB_BATCH_FRAME_COUNT_MAX,
  BLOB_BODY_SIZE_BYTES_MAX,
  BLOB_FILE_NUMBER_MAX,
  BLOB_FILE_SIZE_BYTES_MAX,
  BLOB_KEY_SIZE_BYTES_MAX,
  BLOB_VALUE_SIZE_BYTES_MAX,
} from '../limits.ts'
import {
  FILE_HEADER_SIZE_BYTES,
  FRAME_HEADER_SIZE_BYTES,
  encodeFileHeader,
  encodeFooter,
  frameSizeBytes,
  writeFrameHeader,
} from './format.ts'
import { PLAIN_ENVELOPE_HEADER_SIZE_BYTES, isPlainCodec, writePlainEnvelopeHeader } from './plain-envelope.ts'

/** One key and value to separate. */
export interface BlobEntry {
  key: Uint8Array
  value: Uint8Array
}

/** A frame exactly as it sits on disk, for relocation without decoding (from the reader's scan). */
export interface EncodedFrame {
  /** The whole frame: header, key and body. Copied verbatim. */
  frameBytes: Uint8Array
  rawValueSizeBytes: number
}

/** Options of `BlobFileWriter.create`. */
export interface BlobFileWriterOptions {
  /** The file's number, from the manifest's file-number counter. */
  fileNumber: number
  /** The block transform for frame bodies. Default: PlainCodec (checksum only). */
  codec?: BlockCodec
  /** Identifies the codec configuration in the file header (u32, opaque here). Default 0. */
  codecId?: number
}

/** What a finished file registers in the manifest (the planned BlobFileMeta). */
export interface BlobFileSummary {
  fileNumber: number
  sizeBytes: number
  valueCount: number
  totalValueBytes: number
}

/**
 * Writes one blob file.
 * @example
 * ```ts
 * const writer = BlobFileWriter.create(vfs.create('/db/000012.blob'), { fileNumber: 12 })
 * const handle = writer.add(utf8('user:1'), bigValue)
 * await writer.sync()               // before the WAL record holding `handle` is synced
 * const meta = await writer.finish() // footer, sync, close
 * ```
 */
export class BlobFileWriter {
  readonly fileNumber: number
  readonly #file: VfsFile
  readonly #codec: BlockCodec
  /** The codec is PlainCodec: bodies are written as envelope header + value, uncopied. */
  readonly #plain: boolean
  #sizeBytes: number
  #durableSizeBytes = 0
  #frameCount = 0
  #rawValueBytesTotal = 0
  #state: 'open' | 'failed' | 'finished' = 'open'
  /** Set when an fsync failed: unlike a failed append, that leaves even the frames before it unknown. */
  #syncFailed = false

  private constructor(file: VfsFile, fileNumber: number, codec: BlockCodec) {
    this.#file = file
    this.fileNumber = fileNumber
    this.#codec = codec
    this.#plain = isPlainCodec(codec)
    this.#sizeBytes = file.sizeBytes()
  }

  /**
   * Starts a blob file in `file`, which must be empty, by appending its file header.
   * @throws {StrataError} `INVALID_ARGUMENT` for a non-empty file or a bad option; `IO_ERROR`.
   */
  static create(file: VfsFile, options: BlobFileWriterOptions): BlobFileWriter {
    const { fileNumber, codecId = 0 } = options
    if (!Number.isSafeInteger(fileNumber) || fileNumber < 0 || fileNumber > BLOB_FILE_NUMBER_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot create blob file ${file.path}: file number ${fileNumber} is not an integer in 0..${BLOB_FILE_NUMBER_MAX}`)
    }
    if (!Number.isInteger(codecId) || codecId < 0 || codecId >= 2 ** 32) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot create blob file ${file.path}: codec id ${codecId} is not a u32`)
    }
    if (file.sizeBytes() !== 0) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot create blob file ${file.path}: file already holds ${file.sizeBytes()} bytes`, { details: { fileName: file.path } })
    }
    const writer = new BlobFileWriter(file, fileNumber, options.codec ?? new PlainCodec())
    writer.#appendChunks([encodeFileHeader({ fileNumber, codecId })])
    return writer
  }

  /** The file being written; a reader of the live file shares it so it sees the current size. */
  get file(): VfsFile {
    return this.#file
  }

  /** Bytes in the file so far, synced or not. Rotation compares this with the target size. */
  sizeBytes(): number {
    return this.#sizeBytes
  }

  /** Bytes known durable: the size when the last completed `sync()` started. */
  durableSizeBytes(): number {
    return this.#durableSizeBytes
  }

  /** Frames written so far. */
  frameCount(): number {
    return this.#frameCount
  }

  /**
   * Appends one frame for `key` and `value`; returns its handle.
   * @throws {StrataError} `INVALID_ARGUMENT` (key or value too large, file full), `CLOSED`
   * after `finish()`, `IO_ERROR` (after which the writer refuses further writes).
   */
  add(key: Uint8Array, value: Uint8Array): BlobHandle {
    return this.addMany([{ key, value }])[0]
  }

  /**
   * Appends one frame per entry, in order, as a single append (one writev); returns the handles
   * in the same order. Either every frame is appended or, on a rejected argument, none is.
   * @throws {StrataError} as `add`.
   */
  addMany(entries: readonly BlobEntry[]): BlobHandle[] {
    this.#checkWritable()
    this.#checkBatch(entries)
    if (entries.length === 0) return []
    return this.#plain ? this.#addManyPlain(entries) : this.#addManyEncoded(entries)
  }

  /** Any codec: each body is the codec's fresh output, written after its header and key. */
  #addManyEncoded(entries: readonly BlobEntry[]): BlobHandle[] {
    let headerArenaBytes = 0
    for (const entry of entries) headerArenaBytes += FRAME_HEADER_SIZE_BYTES + entry.key.length
    // Headers and keys share one arena so a frame costs two iovecs (header+key, body), not three.
    const arena = new Uint8Array(headerArenaBytes)
    const chunks: Uint8Array[] = []
    const handles: BlobHandle[] = []
    let arenaOffset = 0
    let offsetBytes = this.#sizeBytes
    for (let index = 0; index < entries.length; index++) {
      const { key, value } = entries[index]
      const body = this.#encodeBody(value, offsetBytes + FRAME_HEADER_SIZE_BYTES + key.length)
      assert(body.length <= BLOB_BODY_SIZE_BYTES_MAX, 'codec output exceeds BLOB_BODY_SIZE_BYTES_MAX')
      const fields = { keySizeBytes: key.length, rawValueSizeBytes: value.length, bodySizeBytes: body.length, originFileNumber: this.fileNumber }
      writeFrameHeader(arena, arenaOffset, fields, key, body)
      arena.set(key, arenaOffset + FRAME_HEADER_SIZE_BYTES)
      const headerAndKeyEnd = arenaOffset + FRAME_HEADER_SIZE_BYTES + key.length
      chunks.push(arena.subarray(arenaOffset, headerAndKeyEnd), body)
      arenaOffset = headerAndKeyEnd
      const size = frameSizeBytes(key.length, body.length)
      handles.push({ fileNumber: this.fileNumber, offsetBytes, frameSizeBytes: size, rawValueSizeBytes: value.length })
      offsetBytes += size
    }
    this.#checkFileSize(offsetBytes)
    this.#appendChunks(chunks)
    this.#countFrames(handles)
    return handles
  }

  /**
   * PlainCodec: the body is a 24-byte envelope header (plain-envelope.ts) and the caller's value
   * itself, so the value is never copied in user space; the writev reads it where it lies. The
   * bytes equal the encoded path's. Safe because the append is synchronous: the caller may
   * reuse the value as soon as this returns.
   */
  #addManyPlain(entries: readonly BlobEntry[]): BlobHandle[] {
    let arenaBytes = 0
    for (const entry of entries) arenaBytes += FRAME_HEADER_SIZE_BYTES + entry.key.length + PLAIN_ENVELOPE_HEADER_SIZE_BYTES
    const arena = new Uint8Array(arenaBytes)
    const chunks: Uint8Array[] = []
    const handles: BlobHandle[] = []
    let arenaOffset = 0
    let offsetBytes = this.#sizeBytes
    for (let index = 0; index < entries.length; index++) {
      const { key, value } = entries[index]
      const envelopeOffset = arenaOffset + FRAME_HEADER_SIZE_BYTES + key.length
      const arenaEnd = envelopeOffset + PLAIN_ENVELOPE_HEADER_SIZE_BYTES
      writePlainEnvelopeHeader(arena, envelopeOffset, BlockType.BlobFrame, value)
      const bodySizeBytes = PLAIN_ENVELOPE_HEADER_SIZE_BYTES + value.length
      assert(bodySizeBytes <= BLOB_BODY_SIZE_BYTES_MAX, 'plain body exceeds BLOB_BODY_SIZE_BYTES_MAX')
      const fields = { keySizeBytes: key.length, rawValueSizeBytes: value.length, bodySizeBytes, originFileNumber: this.fileNumber }
      writeFrameHeader(arena, arenaOffset, fields, key, arena.subarray(envelopeOffset, arenaEnd), value)
      arena.set(key, arenaOffset + FRAME_HEADER_SIZE_BYTES)
      chunks.push(arena.subarray(arenaOffset, arenaEnd))
      if (value.length > 0) chunks.push(value)
      arenaOffset = arenaEnd
      const size = frameSizeBytes(key.length, bodySizeBytes)
      handles.push({ fileNumber: this.fileNumber, offsetBytes, frameSizeBytes: size, rawValueSizeBytes: value.length })
      offsetBytes += size
    }
    this.#checkFileSize(offsetBytes)
    this.#appendChunks(chunks)
    this.#countFrames(handles)
    return handles
  }

  /**
   * Appends frames read from another blob file byte for byte (GC relocation: no decode, no
   * recompression; each frame keeps its originFileNumber, so an encrypted body stays readable).
   * The caller has verified the frames (the reader's scan does); returns their new handles.
   * @throws {StrataError} as `add`.
   */
  copyFrames(frames: readonly EncodedFrame[]): BlobHandle[] {
    this.#checkWritable()
    if (frames.length > BLOB_BATCH_FRAME_COUNT_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot copy ${frames.length} frames into ${this.#file.path}: a batch holds at most ${BLOB_BATCH_FRAME_COUNT_MAX}`)
    }
    if (frames.length === 0) return []
    const handles: BlobHandle[] = []
    let offsetBytes = this.#sizeBytes
    for (const frame of frames) {
      assert(frame.frameBytes.length >= FRAME_HEADER_SIZE_BYTES, 'copied frame is shorter than a frame header')
      handles.push({ fileNumber: this.fileNumber, offsetBytes, frameSizeBytes: frame.frameBytes.length, rawValueSizeBytes: frame.rawValueSizeBytes })
      offsetBytes += frame.frameBytes.length
    }
    this.#checkFileSize(offsetBytes)
    this.#appendChunks(frames.map((frame) => frame.frameBytes))
    this.#countFrames(handles)
    return handles
  }

  /** Makes every frame appended before this call durable (fdatasync). */
  async sync(): Promise<void> {
    this.#checkWritable()
    const sizeBytes = this.#sizeBytes
    await this.#syncFile()
    if (sizeBytes > this.#durableSizeBytes) this.#durableSizeBytes = sizeBytes
  }

  /**
   * Makes the frames before a failed append durable: sync(), except that it also runs after a
   * failed append (the frames before it are whole: `sizeBytes()` never counted the failed one,
   * and recovery cuts whatever part of it landed). For a read-only store's checkpoint, which
   * copies this file while WAL records point into it (engine/checkpoint.ts). Rejects after a
   * failed fsync, now or earlier: the kernel may have dropped the dirty pages.
   * @throws {StrataError} `IO_ERROR`, `CLOSED` when finished (a finished file was synced whole).
   */
  async syncIntact(): Promise<void> {
    if (this.#state !== 'failed' || this.#syncFailed) {
      await this.sync()
      return
    }
    const sizeBytes = this.#sizeBytes
    await this.#syncFile()
    // A sync() that ran meanwhile and failed: Linux reports a writeback error to one fsync only.
    if (this.#syncFailed) throw new StrataError('IO_ERROR', `Cannot sync blob file ${this.#file.path}: a concurrent sync failed`, { details: { fileName: this.#file.path } })
    if (sizeBytes > this.#durableSizeBytes) this.#durableSizeBytes = sizeBytes
  }

  /**
   * Seals the file: appends the footer, syncs and closes. Returns what the manifest records.
   * @throws {StrataError} `CLOSED` when already finished, `IO_ERROR`.
   */
  async finish(): Promise<BlobFileSummary> {
    this.#checkWritable()
    const footer = encodeFooter({
      frameCount: this.#frameCount,
      rawValueBytesTotal: this.#rawValueBytesTotal,
      framesSizeBytes: this.#sizeBytes - FILE_HEADER_SIZE_BYTES,
    })
    this.#appendChunks([footer])
    await this.#syncFile()
    this.#durableSizeBytes = this.#sizeBytes
    this.#state = 'finished'
    this.#file.close()
    return { fileNumber: this.fileNumber, sizeBytes: this.#sizeBytes, valueCount: this.#frameCount, totalValueBytes: this.#rawValueBytesTotal }
  }

  /** Closes the file without a footer (an abandoned or crashed-looking file). Idempotent. */
  close(): void {
    if (this.#state === 'open') this.#state = 'finished'
    this.#file.close()
  }

  #checkWritable(): void {
    if (this.#state === 'finished') {
      throw new StrataError('CLOSED', `Cannot write blob file ${this.#file.path}: writer is finished`, { details: { fileName: this.#file.path } })
    }
    if (this.#state === 'failed') {
      throw new StrataError('IO_ERROR', `Cannot write blob file ${this.#file.path}: an earlier write failed, the file's tail is unknown`, { details: { fileName: this.#file.path } })
    }
  }

  #checkBatch(entries: readonly BlobEntry[]): void {
    if (entries.length > BLOB_BATCH_FRAME_COUNT_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot add ${entries.length} values to ${this.#file.path}: a batch holds at most ${BLOB_BATCH_FRAME_COUNT_MAX}`)
    }
    for (const { key, value } of entries) {
      if (key.length > BLOB_KEY_SIZE_BYTES_MAX) {
        throw new StrataError('INVALID_ARGUMENT', `Cannot add value to ${this.#file.path}: key of ${key.length} bytes exceeds ${BLOB_KEY_SIZE_BYTES_MAX}`)
      }
      if (value.length > BLOB_VALUE_SIZE_BYTES_MAX) {
        throw new StrataError('INVALID_ARGUMENT', `Cannot add value to ${this.#file.path}: value of ${value.length} bytes exceeds ${BLOB_VALUE_SIZE_BYTES_MAX}`)
      }
    }
  }

  #checkFileSize(endBytes: number): void {
    if (endBytes > BLOB_FILE_SIZE_BYTES_MAX) {
      throw new StrataError('INVALID_ARGUMENT', `Cannot add to ${this.#file.path}: the file would grow to ${endBytes} bytes, past ${BLOB_FILE_SIZE_BYTES_MAX}`)
    }
  }

  #encodeBody(value: Uint8Array, bodyOffsetBytes: number): Uint8Array {
    // The offset is for the codec's error messages only; it is not bound into the format.
    const context: BlockContext = { fileNumber: this.fileNumber, blockType: BlockType.BlobFrame, fileName: this.#file.path, offsetBytes: bodyOffsetBytes }
    return this.#codec.encode(value, context)
  }

  #appendChunks(chunks: readonly Uint8Array[]): void {
    let totalBytes = 0
    for (const chunk of chunks) totalBytes += chunk.length
    try {
      this.#file.append(chunks)
    } catch (error) {
      // A failed writev may have written a prefix; later frames would sit after garbage.
      this.#state = 'failed'
      throw error
    }
    this.#sizeBytes += totalBytes
  }

  async #syncFile(): Promise<void> {
    try {
      await this.#file.sync()
    } catch (error) {
      // After a failed fsync the kernel may have dropped the dirty pages (fsyncgate): nothing
      // appended since the last good sync can be trusted, so the file takes no more writes.
      this.#state = 'failed'
      this.#syncFailed = true
      throw error
    }
  }

  #countFrames(handles: readonly BlobHandle[]): void {
    for (const handle of handles) {
      this.#frameCount++
      this.#rawValueBytesTotal += handle.rawValueSizeBytes
    }
  }
}
