/**
 * The blob layer (KV separation): what the engine integration and the package entry may use.
 * Values at or above minBlobSize live in blob files; the index holds an encoded BlobHandle
 * (EntryKind.BlobHandle, opaque to the engine). Formats: docs/formats/blob-file.md.
 */
export { BLOB_HANDLE_FORMAT_VERSION, BLOB_HANDLE_SIZE_BYTES_MAX, decodeBlobHandle, encodeBlobHandle, type BlobHandle } from './handle.ts'
export * from './blob-file/mod.ts'
export {
  BlobGcAccounting,
  frameBytesOf,
  pickRelocation,
  spaceStatsOf,
  staleDeltasOf,
  type BlobFileGarbage,
  type BlobFileMeta,
  type BlobGcOptions,
  type BlobSpaceStats,
  type RelocationPick,
  type StaleDelta,
} from './gc/accounting.ts'
export * from './limits.ts'
export { BlobDb, type BlobDbStats, type BlobStats, type BlobFileVerification, type GetStreamOptions, type KvSeparationOptions } from './blob-db.ts'
export type { ValueCacheStats } from './value-cache.ts'
export type { HandleCacheStats } from './handle-cache.ts'
export { CHUNK_LIST_KIND, decodeChunkList, encodeChunkList, type ChunkList, type ChunkRef } from './chunk-list.ts'
export { ValueStream } from './stream/value-stream.ts'
export type { CollectionReport, CollectorStats, RelocationFailure } from './gc/collector.ts'
