/**
 * Bounds of the patrol scrub and auto-heal, each with its unit and why it has its value.
 */
import assert from 'node:assert/strict'

/**
 * Read rate of the background patrol scrub, bytes per second. 32 MiB/s is under a tenth of
 * what one core decodes through the full pipeline here (pipeline.bench.ts), so a pass never
 * competes with foreground reads for long, and still covers 100 GiB in under an hour.
 */
export const SCRUB_BYTES_PER_SECOND_MAX = 32 * 1024 * 1024
/** Shortest interval between patrol passes, ms: anything faster is a busy loop, not a patrol. */
export const SCRUB_INTERVAL_MS_MIN = 10
/** Longest interval, ms (a day): setTimeout clamps above 2^31 - 1 ms anyway. */
export const SCRUB_INTERVAL_MS_MAX = 24 * 60 * 60 * 1000
/** Longest pause between two files of a throttled pass, ms, so close() is never kept waiting. */
export const SCRUB_PAUSE_MS_MAX = 1000
/** Files a heal queue holds; past it new damage is counted but not queued (a rewrite storm is worse). */
export const HEAL_QUEUE_LENGTH_MAX = 1024
/**
 * Files the integrity monitor remembers as not healable (unrecoverable); past it the oldest is
 * forgotten, so at worst that file is queued and fails once more. A count of file numbers, so
 * memory stays a few KiB however much damage a long-lived process meets.
 */
export const UNHEALABLE_FILE_COUNT_MAX = 1024

assert(SCRUB_INTERVAL_MS_MIN < SCRUB_INTERVAL_MS_MAX)
assert(SCRUB_INTERVAL_MS_MAX < 2 ** 31)
