/**
 * StreamWriter: cuts one streamed value into chunks and writes each chunk as one blob frame
 * into private stream files (docs/formats/blob-stream.md §4–5). It holds at most one chunk in
 * memory; frames go through the same BlobFileWriter, and so the same block transform, as any
 * separated value. `finish()` seals (footer and fsync) every file it wrote and returns the chunk
 * list; nothing here touches the index or the manifest, so a stream that fails or is cut short
 * leaves only unregistered files, which the caller (or open, after a crash) deletes.
 * One writer per stream; not shared between concurrent streams.
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { StrataError } from '../../engine/errors.ts'
import type { BlobFileSummary, BlobFileWriter } from '../blob-file/mod.ts'
import { chunkCountOf, type ChunkList, type ChunkRef } from '../chunk-list.ts'
import { STREAM_CHUNK_COUNT_MAX, STREAM_VALUE_SIZE_BYTES_MAX } from '../limits.ts'

/** What a StreamWriter needs of the value log. */
export interface StreamWriterPort {
  /** A new, unregistered blob file for chunks. */
  createStreamFile(): BlobFileWriter
  /** Bytes appended to blob files (for stats().blob.bytesWritten). */
  countBytesWritten(bytes: number): void
}

/** Options of a StreamWriter. */
export interface StreamWriterOptions {
  /** The user's key (latin1 bytes): every chunk frame carries it, for GC and the read cross-check. */
  key: Uint8Array
  /** Raw bytes per chunk. */
  chunkSizeBytes: number
  /** Start a new stream file once the current one holds this many bytes. */
  fileSizeBytesTarget: number
}

/** What a finished stream is: short enough to store as an ordinary value, or a chunk list. */
export type FinishedStream = { kind: 'value'; value: Uint8Array } | { kind: 'chunks'; list: ChunkList; files: BlobFileSummary[] }

export class StreamWriter {
  readonly #port: StreamWriterPort
  readonly #options: StreamWriterOptions
  /** The chunk being filled; allocated on first write, reused for every chunk. */
  #buffer: Buffer | undefined
  #filledBytes = 0
  #totalSizeBytes = 0
  readonly #chunks: ChunkRef[] = []
  #file: BlobFileWriter | undefined
  readonly #sealed: BlobFileSummary[] = []
  /** Every file created, sealed or not: what `abandon` returns for deletion. */
  readonly #fileNumbers: number[] = []

  constructor(port: StreamWriterPort, options: StreamWriterOptions) {
    this.#port = port
    this.#options = options
  }

  /** Bytes taken so far. */
  get totalSizeBytes(): number {
    return this.#totalSizeBytes
  }

  /**
   * Takes the next piece of the value; writes a frame each time a chunk fills. Resolves after
   * giving the event loop a turn per chunk written, so a fast source cannot starve other work.
   * @throws {StrataError} `INVALID_ARGUMENT` when the value outgrows STREAM_VALUE_SIZE_BYTES_MAX
   * or STREAM_CHUNK_COUNT_MAX chunks; `IO_ERROR` from the file.
   */
  async write(piece: Uint8Array): Promise<void> {
    const { chunkSizeBytes } = this.#options
    if (this.#totalSizeBytes + piece.length > STREAM_VALUE_SIZE_BYTES_MAX) throw tooLarge(`${this.#totalSizeBytes + piece.length} bytes exceed ${STREAM_VALUE_SIZE_BYTES_MAX}`)
    if (chunkCountOf(this.#totalSizeBytes + piece.length, chunkSizeBytes) > STREAM_CHUNK_COUNT_MAX) {
      throw tooLarge(`more than ${STREAM_CHUNK_COUNT_MAX} chunks of ${chunkSizeBytes} bytes`)
    }
    this.#buffer ??= Buffer.allocUnsafeSlow(chunkSizeBytes)
    let consumedBytes = 0
    while (consumedBytes < piece.length) {
      const takeBytes = Math.min(chunkSizeBytes - this.#filledBytes, piece.length - consumedBytes)
      this.#buffer.set(piece.subarray(consumedBytes, consumedBytes + takeBytes), this.#filledBytes)
      this.#filledBytes += takeBytes
      consumedBytes += takeBytes
      this.#totalSizeBytes += takeBytes
      if (this.#filledBytes === chunkSizeBytes) {
        await this.#writeChunk()
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
  }

  /**
   * Ends the value. A value shorter than one chunk comes back whole (the caller stores it as an
   * ordinary put); otherwise the last chunk is written and every file sealed and synced.
   */
  async finish(): Promise<FinishedStream> {
    if (this.#chunks.length === 0 && this.#filledBytes < this.#options.chunkSizeBytes) {
      const value = Buffer.from(this.#buffer?.subarray(0, this.#filledBytes) ?? new Uint8Array(0))
      return { kind: 'value', value }
    }
    if (this.#filledBytes > 0) await this.#writeChunk()
    await this.#sealCurrent()
    const list: ChunkList = { totalSizeBytes: this.#totalSizeBytes, chunkSizeBytes: this.#options.chunkSizeBytes, chunks: this.#chunks }
    assert.equal(list.chunks.length, chunkCountOf(list.totalSizeBytes, list.chunkSizeBytes))
    return { kind: 'chunks', list, files: this.#sealed.slice() }
  }

  /** Closes the open file (no footer) and returns the numbers of every file this stream created. */
  abandon(): number[] {
    try {
      this.#file?.close()
    } catch {
      // A file whose finish() failed may be closed already; it is deleted next either way.
    }
    this.#file = undefined
    return this.#fileNumbers.slice()
  }

  async #writeChunk(): Promise<void> {
    const { fileSizeBytesTarget, key } = this.#options
    if (this.#file !== undefined && this.#file.sizeBytes() >= fileSizeBytesTarget) await this.#sealCurrent()
    if (this.#file === undefined) {
      this.#file = this.#port.createStreamFile()
      this.#fileNumbers.push(this.#file.fileNumber)
    }
    const file = this.#file
    const beforeBytes = file.sizeBytes()
    // With PlainCodec the writer sends the buffer itself (no copy) in one synchronous writev,
    // so reusing the buffer for the next chunk after add() returns is safe.
    const handle = file.add(key, this.#buffer!.subarray(0, this.#filledBytes))
    this.#port.countBytesWritten(file.sizeBytes() - beforeBytes)
    this.#chunks.push({ fileNumber: handle.fileNumber, offsetBytes: handle.offsetBytes, frameSizeBytes: handle.frameSizeBytes })
    this.#filledBytes = 0
  }

  async #sealCurrent(): Promise<void> {
    const file = this.#file
    if (file === undefined) return
    const beforeBytes = file.sizeBytes()
    const summary = await file.finish()
    this.#port.countBytesWritten(summary.sizeBytes - beforeBytes)
    this.#sealed.push(summary)
    this.#file = undefined
  }
}

function tooLarge(reason: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', `Cannot put stream: the value is too large: ${reason}`)
}
