/**
 * The issue #4 load, alone, for profiling: `node --cpu-prof --import tsx scripts/blob-load-profile.ts`.
 * The shape of blob-bench-shape.ts: 16 KiB values about 50% compressible, 16-byte keys in a seeded
 * random order, batches of 100, compression off, KV separation at 1 KiB; then random awaited
 * gets of those keys. Prints MiB/s and gets/s. Benchmark, not test: nothing here asserts speed.
 * Env: VALUE_COUNT (32768), GET_COUNT (32768), SYNC=1 (fsync each batch), STRATA_SEED (42),
 * PROFILE_DIR (temp), BLOB_FILE_BYTES (blob file target, default the store's). Compare engines with `strata bench run` (BENCHMARKING.md), not with this.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BlobDb } from '../index.ts'
import { Prng, randomPermutation } from '../datasets/mod.ts'
import { BATCH_COUNT, KEY_SIZE_BYTES, VALUE_SIZE_BYTES, envNumber, seed, shapeBatch, shapeKeys, shapeValues, valueCount } from './blob-bench-shape.ts'

const getCount = envNumber('GET_COUNT', 32768)
const sync = process.env.SYNC === '1'

const values = shapeValues()
const order = randomPermutation(valueCount, Prng.derive(seed, 'blob-load-profile'))
const keys = shapeKeys()
const directory = fs.mkdtempSync(path.join(process.env.PROFILE_DIR ?? os.tmpdir(), 'strata-load-'))
// Removed however the script ends (a closed stdout pipe, an error): the store is 512 MiB.
process.on('exit', () => fs.rmSync(directory, { recursive: true, force: true }))
const blobFileSizeBytesTarget = process.env.BLOB_FILE_BYTES === undefined ? undefined : Number(process.env.BLOB_FILE_BYTES)
const db = await BlobDb.open(directory, {}, { minBlobSize: 1024, blobFileSizeBytesTarget })
// Values are made before timing starts so the figure is the store's, not the generator's.
let loadMs = 0
const batchMs: number[] = []
for (let start = 0; start < valueCount; start += BATCH_COUNT) {
  const batch = shapeBatch(start, order, keys, values)
  const startedMs = performance.now()
  await db.batch(batch, { sync })
  batchMs.push(performance.now() - startedMs)
  loadMs += batchMs.at(-1)!
}
const flushStartedMs = performance.now()
await db.flush()
const flushMs = performance.now() - flushStartedMs
const userBytes = valueCount * (VALUE_SIZE_BYTES + KEY_SIZE_BYTES)
const stats = db.stats()
batchMs.sort((a, b) => a - b)
const quantile = (q: number): string => batchMs[Math.min(batchMs.length - 1, Math.floor(q * batchMs.length))].toFixed(2)
console.log(`batch ms: p50 ${quantile(0.5)} p95 ${quantile(0.95)} p99 ${quantile(0.99)} max ${quantile(1)}`)
console.log(`load: ${valueCount} x ${VALUE_SIZE_BYTES} B, sync=${sync}: ${(userBytes / 2 ** 20 / (loadMs / 1000)).toFixed(0)} MiB/s (${loadMs.toFixed(0)} ms, then flush ${flushMs.toFixed(0)} ms), WA ${stats.writeAmplification.toFixed(4)}`)
const prng = Prng.derive(seed, 'blob-load-profile gets')
let found = 0
const getsStartedMs = performance.now()
for (let count = 0; count < getCount; count++) {
  const value = await db.get(keys[prng.nextBelow(valueCount)])
  if (value !== undefined && value.length === VALUE_SIZE_BYTES) found++
}
const getsMs = performance.now() - getsStartedMs
console.log(`gets: ${(getCount / (getsMs / 1000)).toFixed(0)}/s, found ${found} of ${getCount}`)
await db.close()
