/**
 * The issue #4 load shape the blob benchmark scripts share (blob-sync-vs-dd.ts,
 * blob-get-vs-lmdb.ts, blob-get-gc.ts, blob-load-profile.ts): 16 KiB values (datasets/
 * compressible:0.5), 16-byte keys, batches of 100, 32,768 values (512 MiB) unless VALUE_COUNT
 * says otherwise, and lmdb opened as those scripts compare against it. Also the reporting
 * helpers the benchmark scripts share (median, load average), so every script summarizes the
 * same way.
 */
import os from 'node:os'
import { createRequire } from 'node:module'
import { createValueSource, encodeKey, type ValueSource } from '../datasets/mod.ts'

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

/** The shape's values, made from `seed`. */
export function shapeValues(): ValueSource {
  return createValueSource({ kind: 'compressible', ratio: 0.5 }, seed)
}

/** The shape's `valueCount` keys; key `index` sits at `index`. */
export function shapeKeys(): Uint8Array[] {
  return Array.from({ length: valueCount }, (_, index) => encodeKey(index, KEY_SIZE_BYTES))
}

/** The puts of the batch that starts at position `start` of `order`: key `order[i]` with its value, for up to BATCH_COUNT positions. */
export function shapeBatch(start: number, order: ArrayLike<number>, keys: readonly Uint8Array[], values: ValueSource): { type: 'put'; key: Uint8Array; value: Uint8Array }[] {
  const batch = []
  for (let index = start; index < Math.min(order.length, start + BATCH_COUNT); index++) {
    const keyIndex = order[index]
    batch.push({ type: 'put' as const, key: keys[keyIndex], value: values.value(keyIndex, VALUE_SIZE_BYTES) })
  }
  return batch
}

/** The part of lmdb's API the scripts use. */
export interface Lmdb {
  put(key: Uint8Array, value: Uint8Array): Promise<boolean>
  get(key: Uint8Array): Uint8Array | undefined
  flushed: Promise<void>
  close(): Promise<void>
}

/** Opens lmdb in `directory` as the scripts compare against it: no sync, binary keys and values. */
export function openLmdb(directory: string): Lmdb {
  const lmdb = createRequire(import.meta.url)('lmdb') as { open(options: object): Lmdb }
  return lmdb.open({ path: directory, noSync: true, encoding: 'binary', keyEncoding: 'binary' })
}

/** The middle of `list` once sorted (the upper middle of an even count): what the scripts report. */
export function median(list: readonly number[]): number {
  return [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
}

/** The 1, 5 and 15-minute load averages, printed beside a measurement: a busy machine skews it. */
export function loadAverageText(): string {
  return os.loadavg().map((load) => load.toFixed(2)).join(' ')
}
