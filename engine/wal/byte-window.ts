/**
 * ByteWindow: positional reads of a file through a large read-ahead window, so that reading
 * many small records costs one `read` call per window, not two per record. Every window is a
 * fresh buffer, never reused, so slices handed out stay valid after the window moves on.
 */
import { StrataError } from '../errors.ts'
import type { VfsFile } from '../vfs/mod.ts'
import { WAL_READ_WINDOW_BYTES } from './limits.ts'

/** A read-ahead view of one file of known size. */
export class ByteWindow {
  readonly #file: VfsFile
  readonly #fileSizeBytes: number
  #window = new Uint8Array(0)
  #windowOffsetBytes = 0

  constructor(file: VfsFile, fileSizeBytes: number) {
    this.#file = file
    this.#fileSizeBytes = fileSizeBytes
  }

  /**
   * `sizeBytes` bytes at `offsetBytes` (a view into the window, not a copy). The range must lie
   * inside the file size given at construction.
   */
  bytes(offsetBytes: number, sizeBytes: number): Uint8Array {
    const endBytes = offsetBytes + sizeBytes
    if (offsetBytes < 0 || endBytes > this.#fileSizeBytes) {
      throw new Error(`ByteWindow range ${offsetBytes}+${sizeBytes} is outside the file size ${this.#fileSizeBytes}`)
    }
    const start = offsetBytes - this.#windowOffsetBytes
    if (start >= 0 && endBytes - this.#windowOffsetBytes <= this.#window.length) {
      return this.#window.subarray(start, start + sizeBytes)
    }
    this.#load(offsetBytes, sizeBytes)
    return this.#window.subarray(0, sizeBytes)
  }

  #load(offsetBytes: number, sizeBytes: number): void {
    const windowSizeBytes = Math.min(Math.max(sizeBytes, WAL_READ_WINDOW_BYTES), this.#fileSizeBytes - offsetBytes)
    const window = new Uint8Array(windowSizeBytes)
    const readBytes = this.#file.read(window, offsetBytes)
    if (readBytes !== windowSizeBytes) {
      // The file shrank under us: someone else is writing it.
      throw new StrataError('IO_ERROR', `Cannot read ${this.#file.path}: short read at offset ${offsetBytes}`, {
        details: { path: this.#file.path, offsetBytes },
      })
    }
    this.#window = window
    this.#windowOffsetBytes = offsetBytes
  }
}
