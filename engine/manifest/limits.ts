/**
 * Bounds of the manifest and version set. Each bound says why; relations are asserted at import.
 */
import assert from 'node:assert/strict'
import { WAL_RECORD_PAYLOAD_BYTES_MAX } from '../wal/mod.ts'

/** Levels of the LSM tree, L0 to L6 (RocksDB's and coordinode's default). */
export const LEVEL_COUNT = 7

/**
 * A manifest past this size is replaced by a new one holding a snapshot of the current
 * version, so recovery replays a bounded log. 4 MiB replays in milliseconds.
 */
export const MANIFEST_ROTATE_SIZE_BYTES = 4 * 1024 * 1024

/** Bounds the read of CURRENT, which holds one file name and a newline. */
export const CURRENT_FILE_SIZE_BYTES_MAX = 256

/**
 * Largest encoded version edit. The snapshot edit holds every table (about 100 bytes plus two
 * keys each), so this also bounds how many tables a version may hold; it is the log record
 * limit, because an edit is one record.
 */
export const VERSION_EDIT_SIZE_BYTES_MAX = WAL_RECORD_PAYLOAD_BYTES_MAX

assert(LEVEL_COUNT >= 2 && LEVEL_COUNT <= 255) // stored as u8
assert(MANIFEST_ROTATE_SIZE_BYTES < VERSION_EDIT_SIZE_BYTES_MAX)

/**
 * Largest manifest file the hardened reader loads whole. A manifest passes the rotation size
 * by at most one record pair (two copies of an edit plus headers) before a new one starts,
 * so a larger file is damaged; the bound keeps a corrupt file from asking for gigabytes.
 */
export const MANIFEST_FILE_SIZE_BYTES_MAX = MANIFEST_ROTATE_SIZE_BYTES + 4 * VERSION_EDIT_SIZE_BYTES_MAX

assert(MANIFEST_FILE_SIZE_BYTES_MAX < 2 ** 31) // one Uint8Array, read in one call
