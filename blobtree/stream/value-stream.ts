/**
 * ValueStream: the Readable that `BlobDb.getStream` returns. It reads one chunk (one blob frame)
 * per `_read()` call, so it reads ahead only as far as the consumer's highWaterMark lets Node
 * ask: a slow consumer holds at most about highWaterMark plus one chunk in memory. It keeps a
 * pin (an engine snapshot) for its whole life so GC deletes no file it still has to read, and
 * releases it on end, error or destroy, or when the store closes (closeSource).
 */
import { Readable } from 'node:stream'
import { chunkRawSizeBytes, type ChunkList } from '../chunk-list.ts'

/** Where the bytes come from: a value in memory, or a chunk list read chunk by chunk. */
export type ValueSource = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'chunks'; list: ChunkList; readChunk: (chunkIndex: number) => Uint8Array }

/** Options of a ValueStream. */
export interface ValueStreamOptions {
  source: ValueSource
  /** First byte to emit (inclusive). */
  startBytes: number
  /** Byte to stop before (exclusive); startBytes <= endBytes <= the value's size. */
  endBytes: number
  /** Readable's highWaterMark, in bytes. */
  highWaterMark?: number
  /** Called exactly once when the stream ends, fails or is destroyed. */
  release: () => void
}

/** A Readable over a stored value or a byte range of it. */
export class ValueStream extends Readable {
  readonly #source: ValueSource
  readonly #endBytes: number
  #positionBytes: number
  #release: (() => void) | undefined
  #chunkReadCount = 0
  /** Set by closeSource: the error the next read destroys the stream with. */
  #closedError: Error | undefined

  /** @internal Made by `BlobDb.getStream`. */
  constructor(options: ValueStreamOptions) {
    super(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark })
    this.#source = options.source
    this.#positionBytes = options.startBytes
    this.#endBytes = options.endBytes
    this.#release = options.release
  }

  /** Chunks (blob frames) read so far: what a test of read-ahead counts. */
  get chunkReadCount(): number {
    return this.#chunkReadCount
  }

  /**
   * @internal For `BlobDb.close()`: releases the snapshot now, and the next read destroys the
   * stream with `error` (bytes already buffered are still delivered, and a stream that has read
   * its last byte still ends). Not destroyed here: a stream nobody listens to yet would throw
   * the error as an uncaught 'error' event, and one abandoned without destroy() is common.
   */
  closeSource(error: Error): void {
    this.#closedError = error
    const release = this.#release
    this.#release = undefined
    release?.()
  }

  /** Reads the next chunk (or the rest of an in-memory value) and pushes it; Node calls it on demand. */
  override _read(): void {
    if (this.#positionBytes >= this.#endBytes) {
      this.push(null)
      return
    }
    if (this.#closedError !== undefined) {
      this.destroy(this.#closedError)
      return
    }
    let piece: Uint8Array
    try {
      piece = this.#nextPiece()
    } catch (error) {
      this.destroy(error as Error)
      return
    }
    this.#positionBytes += piece.length
    this.push(piece)
  }

  /** The bytes from the position to the end of the current chunk (or of the range). */
  #nextPiece(): Uint8Array {
    const source = this.#source
    if (source.kind === 'bytes') return source.bytes.subarray(this.#positionBytes, this.#endBytes)
    const { list } = source
    const chunkIndex = Math.floor(this.#positionBytes / list.chunkSizeBytes)
    const chunkStartBytes = chunkIndex * list.chunkSizeBytes
    const chunk = source.readChunk(chunkIndex)
    this.#chunkReadCount++
    const endInChunkBytes = Math.min(chunkRawSizeBytes(list, chunkIndex), this.#endBytes - chunkStartBytes)
    return chunk.subarray(this.#positionBytes - chunkStartBytes, endInChunkBytes)
  }

  /** Releases the stream's snapshot, once, however the stream ends. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const release = this.#release
    this.#release = undefined
    try {
      release?.()
    } finally {
      callback(error)
    }
  }
}
