/**
 * A value handle of either kind, as the index stores it: the first byte says which. Kind 1 is
 * a single frame (`handle.ts`, docs/formats/blob-file.md §5), kind 2 a streamed value's chunk
 * list (`chunk-list.ts`, docs/formats/blob-stream.md §3). Readers, WAL replay and GC decode
 * through here so that every kind is handled wherever a handle is.
 */
import { StrataError } from '../engine/errors.ts'
import { BLOB_HANDLE_FORMAT_VERSION, corruptHandle, decodeBlobHandle, type BlobHandle } from './handle.ts'
import { CHUNK_LIST_KIND, chunkHandleOf, decodeChunkList, type ChunkList } from './chunk-list.ts'

/** A decoded handle of either kind. */
export type ValueHandle = { kind: 'frame'; frame: BlobHandle } | { kind: 'chunks'; list: ChunkList }

/**
 * Decodes a handle of any kind this build knows.
 * @throws {StrataError} `CORRUPTION` for malformed bytes, `UNSUPPORTED_FORMAT_VERSION` for an
 * unknown kind byte.
 */
export function decodeValueHandle(bytes: Uint8Array): ValueHandle {
  if (bytes.length === 0) throw corruptHandle('handle is empty', bytes)
  if (bytes[0] === BLOB_HANDLE_FORMAT_VERSION) return { kind: 'frame', frame: decodeBlobHandle(bytes) }
  if (bytes[0] === CHUNK_LIST_KIND) return { kind: 'chunks', list: decodeChunkList(bytes) }
  throw new StrataError(
    'UNSUPPORTED_FORMAT_VERSION',
    `Cannot decode blob handle: kind ${bytes[0]}, this build reads ${BLOB_HANDLE_FORMAT_VERSION} and ${CHUNK_LIST_KIND}`,
    { details: { formatVersion: bytes[0] } },
  )
}

/** Every frame a handle points at: one for a single frame, one per chunk for a chunk list. */
export function framesOf(handle: ValueHandle): BlobHandle[] {
  if (handle.kind === 'frame') return [handle.frame]
  return handle.list.chunks.map((_chunk, index) => chunkHandleOf(handle.list, index))
}

/**
 * The frames the encoded handle `bytes` names, or none when it does not decode: such a handle
 * points at nothing to count or move, and a read of it already fails typed.
 */
export function framesNamedBy(bytes: Uint8Array): BlobHandle[] {
  let handle: ValueHandle
  try {
    handle = decodeValueHandle(bytes)
  } catch {
    return []
  }
  return framesOf(handle)
}

/** The user's value size behind a handle, without reading any blob file. */
export function valueSizeOf(handle: ValueHandle): number {
  return handle.kind === 'frame' ? handle.frame.rawValueSizeBytes : handle.list.totalSizeBytes
}

/** True when `handle` points at the frame at `offsetBytes` of `fileNumber` (one of its chunks). */
export function referencesFrame(handle: ValueHandle, fileNumber: number, offsetBytes: number): boolean {
  if (handle.kind === 'frame') return handle.frame.fileNumber === fileNumber && handle.frame.offsetBytes === offsetBytes
  return handle.list.chunks.some((chunk) => chunk.fileNumber === fileNumber && chunk.offsetBytes === offsetBytes)
}
