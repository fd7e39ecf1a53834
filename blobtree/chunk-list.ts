/**
 * The chunk list: the index entry of a streamed value (`BlobDb.putStream`). The value is cut into
 * chunks of `chunkSizeBytes` raw bytes (the last one shorter), each stored as one ordinary blob
 * frame; the list names every chunk's frame in order, inline in the index entry, so a range read
 * finds its first chunk by arithmetic and GC counts every chunk stale from the entry alone.
 * Chunk lists come back from disk (WAL, tables), so decoding treats them as input: every
 * malformed list is a typed `CORRUPTION`. Layout: docs/formats/blob-stream.md §3.
 */
import { StrataError } from '../engine/errors.ts'
import { FRAME_HEADER_SIZE_BYTES, FRAME_SIZE_BYTES_MAX } from './blob-file/format.ts'
import { corruptHandle, VarintReader, writeVarint, type BlobHandle } from './handle.ts'
import {
  BLOB_FILE_NUMBER_MAX,
  BLOB_FILE_SIZE_BYTES_MAX,
  BLOB_HANDLE_VARINT_SIZE_BYTES_MAX,
  STREAM_CHUNK_COUNT_MAX,
  STREAM_CHUNK_SIZE_BYTES_MAX,
  STREAM_CHUNK_SIZE_BYTES_MIN,
  STREAM_VALUE_SIZE_BYTES_MAX,
} from './limits.ts'

/** Kind byte of a chunk list (version 1 of the kind); single-frame handles start with 1. */
export const CHUNK_LIST_KIND = 2

/** Where one chunk's frame lives. Its raw size follows from its position (chunkRawSizeBytes). */
export interface ChunkRef {
  fileNumber: number
  offsetBytes: number
  frameSizeBytes: number
}

/** A streamed value: its size, its chunk size, and one frame per chunk in value order. */
export interface ChunkList {
  /** The whole value as the user streamed it; at least 1 (an empty stream is stored by put). */
  totalSizeBytes: number
  /** Raw bytes of every chunk but the last (the last holds the rest, 1..chunkSizeBytes). */
  chunkSizeBytes: number
  chunks: ChunkRef[]
}

/** Chunks a value of `totalSizeBytes` is cut into. */
export function chunkCountOf(totalSizeBytes: number, chunkSizeBytes: number): number {
  return Math.ceil(totalSizeBytes / chunkSizeBytes)
}

/** Raw bytes of chunk `chunkIndex` (0-based) of `list`. */
export function chunkRawSizeBytes(list: ChunkList, chunkIndex: number): number {
  const startBytes = chunkIndex * list.chunkSizeBytes
  return Math.min(list.chunkSizeBytes, list.totalSizeBytes - startBytes)
}

/** The single-frame handle of chunk `chunkIndex`, as the blob file reader takes it. */
export function chunkHandleOf(list: ChunkList, chunkIndex: number): BlobHandle {
  const chunk = list.chunks[chunkIndex]
  return { fileNumber: chunk.fileNumber, offsetBytes: chunk.offsetBytes, frameSizeBytes: chunk.frameSizeBytes, rawValueSizeBytes: chunkRawSizeBytes(list, chunkIndex) }
}

function checkField(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot encode chunk list: ${name} ${value} is outside ${min}..${max}`, { details: { field: name } })
  }
}

/**
 * Encodes a chunk list (docs/formats/blob-stream.md §3).
 * | offset | size | field          | encoding                                                 |
 * |-------:|-----:|----------------|----------------------------------------------------------|
 * |      0 |    1 | kind           | u8, 2 (chunk list, version 1)                            |
 * |      1 |  1–8 | totalSizeBytes | unsigned LEB128, 1..STREAM_VALUE_SIZE_BYTES_MAX          |
 * |      . |  1–4 | chunkSizeBytes | unsigned LEB128, STREAM_CHUNK_SIZE_BYTES_MIN..MAX        |
 * |      . |  1–3 | chunkCount     | unsigned LEB128, = ceil(totalSizeBytes / chunkSizeBytes) |
 * |      . |    . | chunks         | chunkCount × { fileNumber, offsetBytes, frameSizeBytes } |
 * Each chunk field is an unsigned LEB128 with the bounds of the single-frame handle's field of
 * the same name. Varints are minimal; nothing follows the last chunk.
 * @example
 * ```ts
 * // A 5000-byte value under key "k", 4 KiB chunks, PlainCodec, stream file 9:
 * encodeChunkList({ totalSizeBytes: 5000, chunkSizeBytes: 4096, chunks: [
 *   { fileNumber: 9, offsetBytes: 40, frameSizeBytes: 4161 },
 *   { fileNumber: 9, offsetBytes: 4201, frameSizeBytes: 969 }] })
 * // → 02 88 27 80 20 02 09 28 c1 20 09 e9 20 c9 07
 * ```
 * @throws {StrataError} `INVALID_ARGUMENT` when a field is out of bounds or the chunk count
 * does not match the sizes.
 */
export function encodeChunkList(list: ChunkList): Uint8Array {
  checkField('totalSizeBytes', list.totalSizeBytes, 1, STREAM_VALUE_SIZE_BYTES_MAX)
  checkField('chunkSizeBytes', list.chunkSizeBytes, STREAM_CHUNK_SIZE_BYTES_MIN, STREAM_CHUNK_SIZE_BYTES_MAX)
  const chunkCount = chunkCountOf(list.totalSizeBytes, list.chunkSizeBytes)
  checkField('chunkCount', list.chunks.length, chunkCount, Math.min(chunkCount, STREAM_CHUNK_COUNT_MAX))
  const scratch = new Uint8Array(1 + (3 + 3 * chunkCount) * BLOB_HANDLE_VARINT_SIZE_BYTES_MAX)
  scratch[0] = CHUNK_LIST_KIND
  let offset = writeVarint(scratch, 1, list.totalSizeBytes)
  offset = writeVarint(scratch, offset, list.chunkSizeBytes)
  offset = writeVarint(scratch, offset, chunkCount)
  for (const chunk of list.chunks) {
    checkField('fileNumber', chunk.fileNumber, 0, BLOB_FILE_NUMBER_MAX)
    checkField('offsetBytes', chunk.offsetBytes, 0, BLOB_FILE_SIZE_BYTES_MAX)
    checkField('frameSizeBytes', chunk.frameSizeBytes, FRAME_HEADER_SIZE_BYTES, FRAME_SIZE_BYTES_MAX)
    offset = writeVarint(scratch, offset, chunk.fileNumber)
    offset = writeVarint(scratch, offset, chunk.offsetBytes)
    offset = writeVarint(scratch, offset, chunk.frameSizeBytes)
  }
  return scratch.slice(0, offset)
}

/**
 * Decodes a chunk list written by `encodeChunkList` (layout in its doc comment).
 * @throws {StrataError} `CORRUPTION` when the bytes are cut short, carry trailing bytes, are not
 * minimal, hold a field outside its bound or a count that does not match the sizes;
 * `UNSUPPORTED_FORMAT_VERSION` for a kind byte other than 2.
 */
export function decodeChunkList(bytes: Uint8Array): ChunkList {
  if (bytes.length === 0) throw corruptHandle('chunk list is empty', bytes)
  if (bytes[0] !== CHUNK_LIST_KIND) {
    throw new StrataError('UNSUPPORTED_FORMAT_VERSION', `Cannot decode chunk list: kind ${bytes[0]}, this build reads ${CHUNK_LIST_KIND}`, {
      details: { formatVersion: bytes[0] },
    })
  }
  const reader = new VarintReader(bytes, 1)
  const totalSizeBytes = reader.read('totalSizeBytes', 1, STREAM_VALUE_SIZE_BYTES_MAX)
  const chunkSizeBytes = reader.read('chunkSizeBytes', STREAM_CHUNK_SIZE_BYTES_MIN, STREAM_CHUNK_SIZE_BYTES_MAX)
  const expectedCount = chunkCountOf(totalSizeBytes, chunkSizeBytes)
  if (expectedCount > STREAM_CHUNK_COUNT_MAX) throw corruptHandle(`${expectedCount} chunks exceed ${STREAM_CHUNK_COUNT_MAX}`, bytes)
  const chunkCount = reader.read('chunkCount', expectedCount, expectedCount)
  // Each chunk takes at least 3 bytes: a count the bytes cannot hold is corrupt before any allocation.
  if (bytes.length - reader.offset < 3 * chunkCount) throw corruptHandle(`${chunkCount} chunks do not fit in ${bytes.length} bytes`, bytes)
  const chunks: ChunkRef[] = new Array(chunkCount)
  for (let index = 0; index < chunkCount; index++) {
    chunks[index] = {
      fileNumber: reader.read('fileNumber', 0, BLOB_FILE_NUMBER_MAX),
      offsetBytes: reader.read('offsetBytes', 0, BLOB_FILE_SIZE_BYTES_MAX),
      frameSizeBytes: reader.read('frameSizeBytes', FRAME_HEADER_SIZE_BYTES, FRAME_SIZE_BYTES_MAX),
    }
  }
  if (reader.offset !== bytes.length) throw corruptHandle(`${bytes.length - reader.offset} trailing bytes after the last chunk`, bytes)
  return { totalSizeBytes, chunkSizeBytes, chunks }
}
