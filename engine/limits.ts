/**
 * Bounds of the public engine API, each with its reason. Bounds of a format live beside the
 * format (engine/table/limits.ts, engine/wal/, …).
 */
import assert from 'node:assert/strict'

/** Longest key: keys sit in index blocks and memtable nodes, so they must stay small. */
export const KEY_SIZE_BYTES_MAX = 64 * 1024
/** Largest inline value; bigger values belong in blob files (kvSeparation). */
export const VALUE_SIZE_BYTES_MAX = 64 * 1024 * 1024
/** Most operations in one atomic batch: one WAL record, so its size must stay bounded. */
export const BATCH_OP_COUNT_MAX = 1_000_000
/** Largest encoded batch (one WAL record). */
export const BATCH_SIZE_BYTES_MAX = 512 * 1024 * 1024
/** Background work yields to the event loop after this much continuous work, so reads stay responsive. */
export const BACKGROUND_SLICE_MS = 8
/** Level count of the tree (L0..L6), as in LevelDB and RocksDB. */
export const LEVEL_COUNT = 7

assert(VALUE_SIZE_BYTES_MAX < BATCH_SIZE_BYTES_MAX)
assert(KEY_SIZE_BYTES_MAX < VALUE_SIZE_BYTES_MAX)
