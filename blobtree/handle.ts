/**
 * The value handle: what the LSM index stores instead of a separated value (EntryKind.BlobHandle).
 * The engine treats it as opaque bytes; only the blob layer encodes and decodes it. Handles come
 * back from disk (WAL, tables), so decoding treats them as input: every malformed handle is a
 * typed `CORRUPTION`, never an exception of another kind and never a handle out of bounds.
 * Layout: docs/formats/blob-file.md §5.
 */
import { Buffer } from 'node:buffer'
import { StrataError } from '../engine/errors.ts'
import { FRAME_HEADER_SIZE_BYTES, FRAME_SIZE_BYTES_MAX } from './blob-file/format.ts'
import {
  BLOB_FILE_NUMBER_MAX,
  BLOB_FILE_SIZE_BYTES_MAX,
  BLOB_HANDLE_VARINT_SIZE_BYTES_MAX,
  BLOB_VALUE_SIZE_BYTES_MAX,
} from './limits.ts'

/** Where a separated value lives: enough to read its frame with one pread. */
export interface BlobHandle {
  /** The blob file holding the frame. */
  fileNumber: number
  /** Where the frame starts in that file. */
  offsetBytes: number
  /** The whole frame on disk: header, key and body. Stale-byte accounting counts this. */
  frameSizeBytes: number
  /** The value as the user gave it; lets size queries skip the blob file. */
  rawValueSizeBytes: number
}

/**
 * Handle format version; the first byte of every encoded single-frame handle. The first byte is
 * also the handle's kind: 1 is this single-frame handle, 2 a streamed value's chunk list
 * (`chunk-list.ts`, docs/formats/blob-stream.md); `value-handle.ts` dispatches on it.
 */
export const BLOB_HANDLE_FORMAT_VERSION = 1

/** Largest encoded handle: the version byte and four varints at their longest. */
export const BLOB_HANDLE_SIZE_BYTES_MAX = 1 + 4 * BLOB_HANDLE_VARINT_SIZE_BYTES_MAX

/** Smallest possible frame (an empty key and body); a shorter frame size in a handle is corrupt. */
const FRAME_SIZE_BYTES_MIN = FRAME_HEADER_SIZE_BYTES

/** Writes `value` as a minimal unsigned LEB128 varint at `offset`; returns the offset after it. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  let rest = value
  while (rest >= 0x80) {
    target[offset++] = (rest % 0x80) | 0x80
    rest = Math.floor(rest / 0x80)
  }
  target[offset++] = rest
  return offset
}

export function corruptHandle(reason: string, bytes: Uint8Array): StrataError {
  return new StrataError('CORRUPTION', `Cannot decode blob handle: ${reason}`, {
    details: { handleHex: Buffer.from(bytes.subarray(0, BLOB_HANDLE_SIZE_BYTES_MAX)).toString('hex') },
  })
}

function checkField(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot encode blob handle: ${name} ${value} is outside ${min}..${max}`, {
      details: { field: name },
    })
  }
}

/**
 * Encodes a handle.
 * | offset | size | field             | encoding                                  |
 * |-------:|-----:|-------------------|-------------------------------------------|
 * |      0 |    1 | formatVersion     | u8, currently 1                           |
 * |      1 |  1–8 | fileNumber        | unsigned LEB128, ≤ 2^53 − 1               |
 * |      . |  1–6 | offsetBytes       | unsigned LEB128, ≤ BLOB_FILE_SIZE_BYTES_MAX |
 * |      . |  1–5 | frameSizeBytes    | unsigned LEB128, ≥ 40                     |
 * |      . |  1–5 | rawValueSizeBytes | unsigned LEB128, ≤ BLOB_VALUE_SIZE_BYTES_MAX |
 * Nothing follows the last varint. Varints are minimal (no trailing 0x80 groups).
 * @example
 * ```ts
 * encodeBlobHandle({ fileNumber: 7, offsetBytes: 40, frameSizeBytes: 1100, rawValueSizeBytes: 1024 })
 * // → 01 07 28 cc 08 80 08
 * ```
 * @throws {StrataError} `INVALID_ARGUMENT` when a field is not an integer within its bound.
 */
export function encodeBlobHandle(handle: BlobHandle): Uint8Array {
  checkField('fileNumber', handle.fileNumber, 0, BLOB_FILE_NUMBER_MAX)
  checkField('offsetBytes', handle.offsetBytes, 0, BLOB_FILE_SIZE_BYTES_MAX)
  checkField('frameSizeBytes', handle.frameSizeBytes, FRAME_SIZE_BYTES_MIN, FRAME_SIZE_BYTES_MAX)
  checkField('rawValueSizeBytes', handle.rawValueSizeBytes, 0, BLOB_VALUE_SIZE_BYTES_MAX)
  const scratch = new Uint8Array(BLOB_HANDLE_SIZE_BYTES_MAX)
  scratch[0] = BLOB_HANDLE_FORMAT_VERSION
  let offset = writeVarint(scratch, 1, handle.fileNumber)
  offset = writeVarint(scratch, offset, handle.offsetBytes)
  offset = writeVarint(scratch, offset, handle.frameSizeBytes)
  offset = writeVarint(scratch, offset, handle.rawValueSizeBytes)
  return scratch.slice(0, offset)
}

/** A varint cursor over untrusted bytes; every failure is a CORRUPTION naming the field. */
export class VarintReader {
  readonly #bytes: Uint8Array
  offset: number

  constructor(bytes: Uint8Array, offset: number) {
    this.#bytes = bytes
    this.offset = offset
  }

  read(name: string, min: number, max: number): number {
    let value = 0
    let scale = 1
    for (let index = 0; index < BLOB_HANDLE_VARINT_SIZE_BYTES_MAX; index++) {
      if (this.offset >= this.#bytes.length) throw corruptHandle(`${name} is cut short`, this.#bytes)
      const byte = this.#bytes[this.offset++]
      value += (byte & 0x7f) * scale
      scale *= 0x80
      if ((byte & 0x80) === 0) {
        // A zero last group after the first makes the encoding non-minimal: two byte strings
        // would decode to one handle, which breaks byte-equality checks on handles.
        if (byte === 0 && index > 0) throw corruptHandle(`${name} is not minimally encoded`, this.#bytes)
        if (value < min || value > max) {
          throw corruptHandle(`${name} ${value} is outside ${min}..${max}`, this.#bytes)
        }
        return value
      }
    }
    throw corruptHandle(`${name} is longer than ${BLOB_HANDLE_VARINT_SIZE_BYTES_MAX} bytes`, this.#bytes)
  }
}

/**
 * Decodes a handle written by `encodeBlobHandle` (layout in its doc comment).
 * @example
 * ```ts
 * const handle = decodeBlobHandle(encodeBlobHandle(original)) // deepEqual original
 * ```
 * @throws {StrataError} `CORRUPTION` when the bytes are empty, cut short, too long, not minimal,
 * or hold a field outside its bound; `UNSUPPORTED_FORMAT_VERSION` for an unknown version byte.
 */
export function decodeBlobHandle(bytes: Uint8Array): BlobHandle {
  if (bytes.length === 0) throw corruptHandle('handle is empty', bytes)
  if (bytes.length > BLOB_HANDLE_SIZE_BYTES_MAX) {
    throw corruptHandle(`${bytes.length} bytes is longer than ${BLOB_HANDLE_SIZE_BYTES_MAX}`, bytes)
  }
  if (bytes[0] !== BLOB_HANDLE_FORMAT_VERSION) {
    throw new StrataError(
      'UNSUPPORTED_FORMAT_VERSION',
      `Cannot decode blob handle: format version ${bytes[0]}, this build reads ${BLOB_HANDLE_FORMAT_VERSION}`,
      { details: { formatVersion: bytes[0] } },
    )
  }
  const reader = new VarintReader(bytes, 1)
  const handle: BlobHandle = {
    fileNumber: reader.read('fileNumber', 0, BLOB_FILE_NUMBER_MAX),
    offsetBytes: reader.read('offsetBytes', 0, BLOB_FILE_SIZE_BYTES_MAX),
    frameSizeBytes: reader.read('frameSizeBytes', FRAME_SIZE_BYTES_MIN, FRAME_SIZE_BYTES_MAX),
    rawValueSizeBytes: reader.read('rawValueSizeBytes', 0, BLOB_VALUE_SIZE_BYTES_MAX),
  }
  if (reader.offset !== bytes.length) {
    throw corruptHandle(`${bytes.length - reader.offset} trailing bytes after the last field`, bytes)
  }
  return handle
}
