/**
 * Readahead: the on-disk bytes of consecutive data blocks, read with one VfsFile.read for an
 * iterator that walks forward. One readSync of a 4 KiB block costs ~1.6 µs of call overhead
 * (js-building-blocks.md §5); a forward scan that misses the block cache pays it per block,
 * while a window of up to 256 KiB pays it once per 64 blocks. The window starts small and
 * doubles on each sequential refill (as RocksDB's auto-readahead does), so a seek followed by a
 * few next() calls reads little more than it uses; a jump (seek, prev) reads one block and
 * shrinks the window again.
 *
 * Each window is a fresh buffer: a block handed out of an old window stays valid (values are
 * views into blocks, and a caller may hold one across next()). Blocks read here are verified
 * by the codec like any other before use: this class only fetches bytes.
 */
import { Buffer } from 'node:buffer'
import { StrataError } from '../errors.ts'
import type { VfsFile } from '../vfs/mod.ts'
import { BlockType } from '../transform/block-codec.ts'

/** First window of a sequential walk; doubles per refill up to the maximum. */
export const READAHEAD_SIZE_BYTES_MIN = 16 * 1024
/** Largest window: past 256 KiB the per-call saving is gone and the copy dominates. */
export const READAHEAD_SIZE_BYTES_MAX = 256 * 1024

/** Where the data blocks of a table lie (the reader's decoded index). */
export interface BlockLayout {
  readonly offsetsBytes: Float64Array
  readonly sizesBytes: Uint32Array
}

export class Readahead {
  #window: Buffer | undefined = undefined
  #windowOffsetBytes = 0
  #nextWindowSizeBytes = READAHEAD_SIZE_BYTES_MIN
  /** The block loaded last (cache hits included), to tell a forward walk from a jump. */
  #lastBlockIndex = -2

  /** Records that the iterator is at `blockIndex` without reading it (the block came from the cache). */
  note(blockIndex: number): void {
    if (blockIndex !== this.#lastBlockIndex + 1) this.#nextWindowSizeBytes = READAHEAD_SIZE_BYTES_MIN
    this.#lastBlockIndex = blockIndex
  }

  /**
   * The on-disk bytes of block `blockIndex`: a view into the current window, or read now (with
   * the blocks after it when the walk is sequential). Throws CORRUPTION for a short read and
   * what the Vfs throws.
   */
  read(file: VfsFile, layout: BlockLayout, blockIndex: number): Uint8Array {
    const sequential = blockIndex === this.#lastBlockIndex + 1
    this.note(blockIndex)
    const offsetBytes = layout.offsetsBytes[blockIndex]
    const sizeBytes = layout.sizesBytes[blockIndex]
    const window = this.#window
    const start = offsetBytes - this.#windowOffsetBytes
    if (window !== undefined && start >= 0 && start + sizeBytes <= window.length) return window.subarray(start, start + sizeBytes)
    let endBytes = offsetBytes + sizeBytes
    if (sequential) {
      const limitBytes = offsetBytes + this.#nextWindowSizeBytes
      for (let next = blockIndex + 1; next < layout.sizesBytes.length; next++) {
        const nextEndBytes = layout.offsetsBytes[next] + layout.sizesBytes[next]
        if (nextEndBytes > limitBytes) break
        endBytes = nextEndBytes
      }
      this.#nextWindowSizeBytes = Math.min(this.#nextWindowSizeBytes * 2, READAHEAD_SIZE_BYTES_MAX)
    }
    const bytes = Buffer.allocUnsafeSlow(endBytes - offsetBytes)
    const readBytes = file.read(bytes, offsetBytes)
    if (readBytes < sizeBytes) {
      throw new StrataError('CORRUPTION', `Cannot read block at offset ${offsetBytes} of ${file.path}: file ends after ${readBytes} of ${sizeBytes} bytes`,
        { details: { fileName: file.path, offsetBytes, blockType: BlockType.Data } })
    }
    // A short read past the first block (a truncated file) only shortens the window.
    this.#window = readBytes === bytes.length ? bytes : bytes.subarray(0, readBytes)
    this.#windowOffsetBytes = offsetBytes
    return bytes.subarray(0, sizeBytes)
  }

  /** Drops the window. */
  clear(): void {
    this.#window = undefined
    this.#lastBlockIndex = -2
  }
}
