/**
 * Bounds of the block transform (issue #3), each with its unit and the reason for its value.
 * Every size read from disk is checked against one of these before it sizes an allocation.
 */
import assert from 'node:assert/strict'

/**
 * Largest raw (decoded) block the transform accepts, on write and on read. Blob frames carry
 * whole values, so this is sized for large values, not for 4 KiB table blocks; a reader may lower
 * it per codec (`rawSizeBytesMax`). It bounds the allocation a forged raw size can cause.
 */
export const RAW_BLOCK_SIZE_BYTES_MAX = 256 * 1024 * 1024

/** Largest zstd level zstd-napi accepts; levels are 1..22 (negative "fast" levels are not offered). */
export const ZSTD_LEVEL_MAX = 22
/** Smallest zstd level offered. */
export const ZSTD_LEVEL_MIN = 1

/** zstd window logs the format can record; 0 means "zstd's default for the level". */
export const ZSTD_WINDOW_LOG_MIN = 10
/** Largest zstd window log (zstd's own ZSTD_WINDOWLOG_MAX_64). */
export const ZSTD_WINDOW_LOG_MAX = 31

/** Reed-Solomon over GF(2^8) cannot have more than 255 shards in total (distinct evaluation points). */
export const ECC_SHARD_COUNT_MAX = 255
/** Data shards per block: at least 1. */
export const ECC_DATA_SHARD_COUNT_MIN = 1
/**
 * Parity shards: bounded because a read that fails its checksum tries every erasure pattern of
 * up to this many shards (C(n, ≤p) reconstructions); 4 keeps RS(8,4) at 794 tries.
 */
export const ECC_PARITY_SHARD_COUNT_MAX = 4

/** Nonces drawn under one prefix before the 96-bit nonce source draws a fresh random prefix. */
export const NONCE_COUNTER_MAX = 2 ** 32 - 1

assert(RAW_BLOCK_SIZE_BYTES_MAX < 2 ** 32) // stored as u32
assert(ZSTD_LEVEL_MIN >= 1 && ZSTD_LEVEL_MAX <= 22)
assert(ECC_PARITY_SHARD_COUNT_MAX < ECC_SHARD_COUNT_MAX)
