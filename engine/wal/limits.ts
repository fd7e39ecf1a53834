/**
 * Bounds of the log layer (WAL and the manifest, which share the record framing). Each bound
 * says why it exists; relations between them are asserted once at import.
 */
import assert from 'node:assert/strict'

/**
 * Largest payload of one record. Bounds the allocation a forged length field can cause on read
 * (a torn or corrupt u32 could otherwise ask for 4 GiB). 64 MiB is the default memtable size:
 * one write batch never needs to be larger than the memtable it lands in; the DB splits or
 * rejects larger batches (INVALID_ARGUMENT from WalWriter.add).
 */
export const WAL_RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024

/** Records per log file: the record index is a u32 on disk. */
export const WAL_RECORD_COUNT_MAX = 2 ** 32 - 1

/**
 * Bytes the reader fetches with one `read` call. Big enough that a replay issues one syscall
 * per many small records (readSync costs ~1-2 µs, js-building-blocks.md §5), small enough that
 * a read window never dominates memory.
 */
export const WAL_READ_WINDOW_BYTES = 1024 * 1024

/**
 * Log files are numbered from the DB's file-number allocator and stored as u64; numbers must
 * also be exact JS numbers.
 */
export const WAL_FILE_NUMBER_MAX = Number.MAX_SAFE_INTEGER

assert(WAL_RECORD_PAYLOAD_BYTES_MAX < 2 ** 32) // stored as u32
assert(WAL_READ_WINDOW_BYTES >= 64 * 1024)
assert(WAL_RECORD_COUNT_MAX <= 2 ** 32 - 1) // stored as u32
