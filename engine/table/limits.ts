/**
 * Every size and count bound of the table (SST) subsystem, with its unit and the reason for it.
 * Bounds on what a reader allocates protect against corrupt length fields; bounds on options
 * protect against configurations that would break the format's own assumptions.
 */
import assert from 'node:assert/strict'

/** Default target size of a raw data block; 4 KiB matches the page size and the measurements in js-building-blocks.md §3. */
export const DATA_BLOCK_SIZE_BYTES_DEFAULT = 4096
/** Smallest accepted block target; below it restart arrays dominate the block. */
export const DATA_BLOCK_SIZE_BYTES_MIN = 256
/** Largest accepted block target; larger blocks make a point get decode too much. */
export const DATA_BLOCK_SIZE_BYTES_MAX = 4 * 1024 * 1024

/** Default number of entries between two restart points (full keys), as in LevelDB. */
export const RESTART_INTERVAL_DEFAULT = 16
/** Restart interval bounds: 1 disables prefix compression, 1024 makes seeks scan too long. */
export const RESTART_INTERVAL_MIN = 1
export const RESTART_INTERVAL_MAX = 1024
/**
 * Entry bytes after which a restart point comes even before `restartInterval` entries. A seek
 * decodes up to this many bytes of entries linearly after its binary search; a restart costs 4
 * bytes of restart array plus the key bytes prefix compression would have saved, so entries of
 * at least this size each get one (tables of 256-byte values grew 1.9% with random 16-byte
 * keys, 3.8% with the bench's keys, whose neighbours share 6-7 bytes) and small entries keep
 * sharing prefixes across several. Not a format setting: readers take any restart array.
 */
export const RESTART_SPAN_BYTES_DEFAULT = 256
/** Restart span bounds: a span of at least the block size restarts by count alone (blocks written before the bound). */
export const RESTART_SPAN_BYTES_MIN = 1
export const RESTART_SPAN_BYTES_MAX = 4 * 1024 * 1024

/** Default Bloom bits per key: ~1% false positives with the blocked filter. */
export const FILTER_BITS_PER_KEY_DEFAULT = 10
/** More than 32 bits per key buys nothing measurable; 0 disables the filter. */
export const FILTER_BITS_PER_KEY_MAX = 32

/** Default size of the write batch: encoded blocks are appended to the file in one call per batch. */
export const WRITE_BUFFER_BYTES_DEFAULT = 256 * 1024

/** Largest key a table stores; bounds the key scratch buffer of a cursor. */
export const KEY_SIZE_BYTES_MAX = 64 * 1024
/** Largest inline value; bigger values belong in blob files (blobtree/). */
export const VALUE_SIZE_BYTES_MAX = 64 * 1024 * 1024

/**
 * Largest on-disk block a reader allocates for. A data block holds at least one entry, so it
 * must fit the largest key and value plus the envelope and the varints.
 */
export const BLOCK_SIZE_BYTES_MAX = 128 * 1024 * 1024

/** Largest entry count an index, range-tombstone or properties block may claim on read. */
export const BLOCK_ITEM_COUNT_MAX = 64 * 1024 * 1024

assert(DATA_BLOCK_SIZE_BYTES_MIN <= DATA_BLOCK_SIZE_BYTES_DEFAULT)
assert(DATA_BLOCK_SIZE_BYTES_DEFAULT <= DATA_BLOCK_SIZE_BYTES_MAX)
assert(RESTART_SPAN_BYTES_MAX >= DATA_BLOCK_SIZE_BYTES_MAX)
assert(BLOCK_SIZE_BYTES_MAX >= KEY_SIZE_BYTES_MAX + VALUE_SIZE_BYTES_MAX + 64 * 1024) // one entry plus envelope
assert(BLOCK_SIZE_BYTES_MAX >= 2 * DATA_BLOCK_SIZE_BYTES_MAX)
assert(BLOCK_SIZE_BYTES_MAX < 2 ** 32) // restart offsets are u32
assert(FILTER_BITS_PER_KEY_DEFAULT <= FILTER_BITS_PER_KEY_MAX)
