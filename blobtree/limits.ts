/**
 * Every size and count bound of the blob layer, with its unit and the reason for it.
 * Bytes read from disk (frame headers, handles from the index) are checked against these before
 * anything is allocated or indexed; arguments from callers are checked before anything is written.
 * Relations between the bounds are asserted once, at import.
 */
import assert from 'node:assert/strict'

/** Largest key a blob frame carries; bounds the key allocation a corrupt header can cause. */
export const BLOB_KEY_SIZE_BYTES_MAX = 64 * 1024

/**
 * Largest separated value. One read allocates a whole frame, so this bounds memory per get;
 * coordinode caps blobs at the same 256 MiB. Larger artifacts are chunked by the application.
 */
export const BLOB_VALUE_SIZE_BYTES_MAX = 256 * 1024 * 1024

/**
 * Largest frame body (the value after the block transform). Parity (ECC) may add up to one
 * value's worth of shards, and envelopes add headers, tags and nonces: 2x plus 1 MiB covers both.
 */
export const BLOB_BODY_SIZE_BYTES_MAX = 2 * BLOB_VALUE_SIZE_BYTES_MAX + 1024 * 1024

/**
 * Largest blob file. Files rotate near a target of tens of MiB; this bound only rejects absurd
 * offsets in handles and headers (1 TiB keeps every offset an exact double with room to spare).
 */
export const BLOB_FILE_SIZE_BYTES_MAX = 2 ** 40

/** Largest file number: file numbers are JS numbers and must stay exact. */
export const BLOB_FILE_NUMBER_MAX = Number.MAX_SAFE_INTEGER

/** Frames appended by one `addMany` call; bounds the iovec array and the batch's memory. */
export const BLOB_BATCH_FRAME_COUNT_MAX = 64 * 1024

/** Bytes of one varint in a value handle: 8 x 7 bits = 56 bits covers every exact double. */
export const BLOB_HANDLE_VARINT_SIZE_BYTES_MAX = 8

/**
 * Default raw bytes per chunk of a streamed value (`putStream`). 1 MiB: one chunk is one frame
 * read per `_read()` of getStream, small against memory budgets and large enough that the
 * chunk list costs about 10 bytes per MiB (docs/formats/blob-stream.md).
 */
export const STREAM_CHUNK_SIZE_BYTES_DEFAULT = 1024 * 1024

/** Smallest chunk a store may be configured with; below this the chunk list outweighs the data. */
export const STREAM_CHUNK_SIZE_BYTES_MIN = 1024

/** Largest chunk: putStream holds one chunk in memory, and getStream reads one frame at a time. */
export const STREAM_CHUNK_SIZE_BYTES_MAX = 64 * 1024 * 1024

/**
 * Chunks of one streamed value. The chunk list sits inline in the index entry (about 10 bytes a
 * chunk), so this keeps an entry under about 1.5 MiB at worst and bounds what a corrupt count
 * can make the decoder allocate; at the default chunk size it allows 64 GiB values.
 */
export const STREAM_CHUNK_COUNT_MAX = 64 * 1024

/** Largest streamed value: chunk size times chunk count, both at their bounds, stays exact. */
export const STREAM_VALUE_SIZE_BYTES_MAX = STREAM_CHUNK_COUNT_MAX * STREAM_CHUNK_SIZE_BYTES_MAX

/**
 * Default bound on a streamed value that `get()` (and iterators) return whole; larger ones must
 * be read with getStream. The same 256 MiB as the largest single separated value.
 */
export const STREAM_GET_SIZE_BYTES_MAX_DEFAULT = BLOB_VALUE_SIZE_BYTES_MAX

/**
 * Default budget of the handle cache (`kvSeparation.handleCacheSizeBytes`): a 6 MiB ring of
 * records (32 bytes plus the key, rounded up to 8: 131,072 keys of 16 bytes) and a 2 MiB index
 * (blobtree/handle-cache.ts), which covers the issue #4 read set (32,768 keys) and stays half
 * the default 16 MiB block cache. Cassandra sizes its key cache at min(5% of the heap, 100 MiB).
 */
export const HANDLE_CACHE_SIZE_BYTES_DEFAULT = 8 * 1024 * 1024

/**
 * Largest handle cache budget: the ring's record offsets are Int32 (blobtree/handle-cache.ts), and
 * a budget past this would otherwise fail as a RangeError at the first get, not at open.
 */
export const HANDLE_CACHE_SIZE_BYTES_MAX = 1024 * 1024 * 1024

assert(STREAM_CHUNK_SIZE_BYTES_MAX <= BLOB_VALUE_SIZE_BYTES_MAX) // a chunk is one frame
assert(STREAM_CHUNK_SIZE_BYTES_MIN <= STREAM_CHUNK_SIZE_BYTES_DEFAULT)
assert(STREAM_CHUNK_SIZE_BYTES_DEFAULT <= STREAM_CHUNK_SIZE_BYTES_MAX)
assert(STREAM_VALUE_SIZE_BYTES_MAX <= Number.MAX_SAFE_INTEGER)
assert(BLOB_BODY_SIZE_BYTES_MAX < 2 ** 32) // stored as u32 in the frame header
assert(BLOB_VALUE_SIZE_BYTES_MAX < 2 ** 32) // stored as u32 in the frame header
assert(BLOB_KEY_SIZE_BYTES_MAX < 2 ** 32) // stored as u32 in the frame header
assert(BLOB_FILE_SIZE_BYTES_MAX <= Number.MAX_SAFE_INTEGER)
assert(BLOB_FILE_SIZE_BYTES_MAX >= 2 * BLOB_BODY_SIZE_BYTES_MAX) // a file holds the largest frame
assert(2 ** (7 * BLOB_HANDLE_VARINT_SIZE_BYTES_MAX) > BLOB_FILE_NUMBER_MAX)
