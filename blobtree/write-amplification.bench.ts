/**
 * Write amplification of a large-value load with KV separation, through NodeVfs in a temp
 * directory: 16 KiB values (~50% compressible bytes), batches of 100, compression off, then
 * flush and compact. Prints bytes written to disk / user bytes from stats() and from the sizes
 * of the files on disk, and the load rate. Issue #4 target: at most 1.15.
 * Run: node --import tsx blobtree/write-amplification.bench.ts  (STRATA_SEED, WA_VALUE_COUNT)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { BlobDb } from '../index.ts'
import { SeededRandom, seedFromEnv } from './testing/seeded-random.ts'

const VALUE_SIZE_BYTES = 16 * 1024
const BATCH_COUNT = 100
const valueCount = Number(process.env.WA_VALUE_COUNT ?? 8192)
const seed = seedFromEnv()
const random = new SeededRandom(seed)
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-wa-'))
const db = await BlobDb.open(directory, {}, { minBlobSize: 1024 })
// Half random bytes, half a repeated pattern: about 50% compressible, like the corpus.
const values = Array.from({ length: 64 }, () => {
  const value = new Uint8Array(VALUE_SIZE_BYTES)
  value.set(random.bytes(VALUE_SIZE_BYTES / 2))
  return value
})
const startedMs = performance.now()
for (let start = 0; start < valueCount; start += BATCH_COUNT) {
  const ops = []
  for (let index = start; index < Math.min(valueCount, start + BATCH_COUNT); index++) {
    ops.push({ type: 'put' as const, key: `key${String(index).padStart(12, '0')}`, value: values[index % values.length] })
  }
  await db.batch(ops)
}
await db.flush()
const loadMs = performance.now() - startedMs
await db.compact()
const stats = db.stats()
await db.close()
let onDiskBytes = 0
for (const name of fs.readdirSync(directory)) onDiskBytes += fs.statSync(path.join(directory, name)).size
const userBytes = stats.userBytesWritten
console.log(`seed=${seed} values=${valueCount} x ${VALUE_SIZE_BYTES} B, batches of ${BATCH_COUNT}, node=${process.version}`)
console.log(`user bytes ${userBytes}; wal ${stats.walBytesWritten}; tables ${stats.flushBytesWritten + stats.compactionBytesWritten}; blob ${stats.blob.bytesWritten}`)
console.log(`write amplification (stats) = ${stats.writeAmplification.toFixed(4)}`)
console.log(`space on disk / user bytes = ${(onDiskBytes / userBytes).toFixed(4)}`)
console.log(`load ${((userBytes / (1024 * 1024)) / (loadMs / 1000)).toFixed(0)} MiB/s (page cache, no sync)`)
fs.rmSync(directory, { recursive: true, force: true })
