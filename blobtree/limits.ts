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

assert(BLOB_BODY_SIZE_BYTES_MAX < 2 ** 32) // stored as u32 in the frame header
assert(BLOB_VALUE_SIZE_BYTES_MAX < 2 ** 32) // stored as u32 in the frame header
assert(BLOB_KEY_SIZE_BYTES_MAX < 2 ** 32) // stored as u32 in the frame header
assert(BLOB_FILE_SIZE_BYTES_MAX <= Number.MAX_SAFE_INTEGER)
assert(BLOB_FILE_SIZE_BYTES_MAX >= 2 * BLOB_BODY_SIZE_BYTES_MAX) // a file holds the largest frame
assert(2 ** (7 * BLOB_HANDLE_VARINT_SIZE_BYTES_MAX) > BLOB_FILE_NUMBER_MAX)
