/**
 * Shared by test/blob-stream-crash.test.ts and its child: the KV separation options of the
 * stream crash test. Small chunks and small files, so a stream cut short after a few MiB has
 * written several stream files (rotation included).
 */
import type { KvSeparationOptions } from '../blob-db.ts'

export const STREAM_CRASH_KV_OPTIONS: KvSeparationOptions = {
  minBlobSize: 1024,
  streamChunkSizeBytes: 64 * 1024,
  blobFileSizeBytesTarget: 1024 * 1024,
  stalenessThreshold: 0.25,
}
