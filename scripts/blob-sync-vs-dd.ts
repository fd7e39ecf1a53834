/**
 * Synced load against `dd` at the same sync frequency, side by side (issue #4: at least 90% of
 * dd). Each round loads VALUE_COUNT 16 KiB values (datasets/ compressible:0.5) in batches of 100
 * with `sync: true` into a fresh store, then runs `dd bs=<one batch> count=<batches>
 * oflag=dsync` (a write and a data sync per batch) in the same directory; rounds alternate so
 * both see the same disk and page-cache state. Prints each round and the ratio of the medians.
 * Env: VALUE_COUNT (32768), ROUND_COUNT (3), STRATA_SEED (42), BENCH_DIR (os.tmpdir()).
 * Benchmark, not test.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { BlobDb } from '../index.ts'
import { createValueSource, encodeKey, Prng, randomPermutation } from '../datasets/mod.ts'
import { BATCH_COUNT, KEY_SIZE_BYTES, VALUE_SIZE_BYTES, baseDirectory, envNumber, seed, valueCount } from './blob-bench-shape.ts'

const roundCount = envNumber('ROUND_COUNT', 3)
const batchCount = Math.ceil(valueCount / BATCH_COUNT)
const userBytes = valueCount * (VALUE_SIZE_BYTES + KEY_SIZE_BYTES)
const MIB = 2 ** 20

async function loadStrata(): Promise<number> {
  const values = createValueSource({ kind: 'compressible', ratio: 0.5 }, seed)
  const order = randomPermutation(valueCount, Prng.derive(seed, 'blob-sync-vs-dd'))
  const directory = fs.mkdtempSync(path.join(baseDirectory, 'strata-sync-'))
  const db = await BlobDb.open(directory, {}, { minBlobSize: 1024 })
  let loadMs = 0
  for (let start = 0; start < valueCount; start += BATCH_COUNT) {
    const batch = []
    for (let index = start; index < Math.min(valueCount, start + BATCH_COUNT); index++) {
      batch.push({ type: 'put' as const, key: encodeKey(order[index], KEY_SIZE_BYTES), value: values.value(order[index], VALUE_SIZE_BYTES) })
    }
    const startedMs = performance.now()
    await db.batch(batch, { sync: true })
    loadMs += performance.now() - startedMs
  }
  await db.close()
  fs.rmSync(directory, { recursive: true, force: true })
  return userBytes / MIB / (loadMs / 1000)
}

function loadDd(): number {
  const target = path.join(baseDirectory, `strata-dd-${process.pid}.bin`)
  const batchBytes = Math.round(userBytes / batchCount)
  const startedMs = performance.now()
  execFileSync('dd', ['if=/dev/zero', `of=${target}`, `bs=${batchBytes}`, `count=${batchCount}`, 'oflag=dsync'], { stdio: 'ignore' })
  const elapsedMs = performance.now() - startedMs
  fs.rmSync(target, { force: true })
  return (batchBytes * batchCount) / MIB / (elapsedMs / 1000)
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const strata: number[] = []
const dd: number[] = []
console.log(`seed=${seed} ${valueCount} x ${VALUE_SIZE_BYTES} B, ${batchCount} synced batches of ${BATCH_COUNT}, rounds=${roundCount}`)
for (let round = 0; round < roundCount; round++) {
  strata.push(await loadStrata())
  dd.push(loadDd())
  console.log(`round ${round + 1}: strata ${strata.at(-1)!.toFixed(0)} MiB/s, dd ${dd.at(-1)!.toFixed(0)} MiB/s`)
}
console.log(`median: strata ${median(strata).toFixed(0)} MiB/s, dd ${median(dd).toFixed(0)} MiB/s, ratio ${(median(strata) / median(dd)).toFixed(2)}`)
