/**
 * The issue #4 load shape the blob benchmark scripts share (blob-sync-vs-dd.ts,
 * blob-get-vs-lmdb.ts): 16 KiB values (datasets/ compressible:0.5), 16-byte keys, batches of
 * 100, 32,768 values (512 MiB) unless VALUE_COUNT says otherwise. Also the reporting helpers
 * the benchmark scripts share (median, load average), so every script summarizes the same way.
 */
import os from 'node:os'

export const VALUE_SIZE_BYTES = 16 * 1024
export const KEY_SIZE_BYTES = 16
export const BATCH_COUNT = 100

/** The number in environment variable `name`, or `fallback` when it is unset. */
export function envNumber(name: string, fallback: number): number {
  return Number(process.env[name] ?? fallback)
}

/** The shape's common environment: VALUE_COUNT (32768), STRATA_SEED (42), BENCH_DIR (os.tmpdir()). */
export const valueCount = envNumber('VALUE_COUNT', 32768)
export const seed = envNumber('STRATA_SEED', 42)
export const baseDirectory = process.env.BENCH_DIR ?? os.tmpdir()

/** The middle of `list` once sorted (the upper middle of an even count): what the scripts report. */
export function median(list: readonly number[]): number {
  return [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
}

/** The 1, 5 and 15-minute load averages, printed beside a measurement: a busy machine skews it. */
export function loadAverageText(): string {
  return os.loadavg().map((load) => load.toFixed(2)).join(' ')
}
