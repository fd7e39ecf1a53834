/**
 * Where a synced batch's time goes (issue #4, the scripts/blob-sync-vs-dd.ts load): loads
 * VALUE_COUNT 16 KiB values in batches of 100 with `sync: true` and stamps, relative to the
 * `batch()` call, when the blob file's writev starts and ends, when its fdatasync is called and
 * completes, when the WAL's does, and when the batch resolves; prints the median of each over
 * all batches. After every batch it also writes the same values (behind 80-byte headers, as
 * iovecs) to a side file in the same directory and fdatasyncs it: the floor for that batch on the
 * same disk at the same moment, so the two are compared side by side.
 * It wraps node:fs's writevSync and fdatasync, which NodeVfs calls through the module object.
 * Env: VALUE_COUNT (32768), STRATA_SEED (42), BENCH_DIR (os.tmpdir()). Benchmark, not test.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { BlobDb } from '../index.ts'
import { createValueSource, encodeKey, Prng, randomPermutation } from '../datasets/mod.ts'
import { BATCH_COUNT, KEY_SIZE_BYTES, VALUE_SIZE_BYTES, baseDirectory, seed, valueCount } from './blob-bench-shape.ts'

/** A writev at least this large is the blob file's (a batch's frames); smaller ones are the WAL's. */
const BLOB_WRITE_SIZE_BYTES_MIN = 100_000
const SIDE_HEADER_SIZE_BYTES = 80

const stamps = new Map<string, number[]>()
let batchStartMs = 0
let inBatch = false
let blobFd = -1

function stamp(name: string, valueMs: number): void {
  if (!stamps.has(name)) stamps.set(name, [])
  stamps.get(name)!.push(valueMs)
}

const writevSync = fs.writevSync
const fdatasync = fs.fdatasync
fs.writevSync = function stampedWritevSync(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position?: number | null): number {
  const startedMs = performance.now()
  const writtenBytes = writevSync(fd, buffers, position ?? undefined)
  if (inBatch && writtenBytes >= BLOB_WRITE_SIZE_BYTES_MIN) {
    blobFd = fd
    stamp('blob writev start', startedMs - batchStartMs)
    stamp('blob writev end', performance.now() - batchStartMs)
  }
  return writtenBytes
} as typeof fs.writevSync
fs.fdatasync = function stampedFdatasync(fd: number, callback: fs.NoParamCallback): void {
  const calledMs = performance.now()
  const stamped = inBatch
  const name = fd === blobFd ? 'blob fdatasync' : 'WAL fdatasync'
  fdatasync(fd, (error) => {
    if (stamped) {
      stamp(`${name} call`, calledMs - batchStartMs)
      stamp(`${name} done`, performance.now() - batchStartMs)
    }
    callback(error)
  })
} as typeof fs.fdatasync

function syncSide(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())))
}

const directory = fs.mkdtempSync(path.join(baseDirectory, 'strata-sync-timeline-'))
const sideFd = fs.openSync(path.join(directory, 'side.bin'), 'w')
const sideHeader = Buffer.alloc(SIDE_HEADER_SIZE_BYTES, 1)
const db = await BlobDb.open(path.join(directory, 'db'), {}, { minBlobSize: 1024 })
const values = createValueSource({ kind: 'compressible', ratio: 0.5 }, seed)
const order = randomPermutation(valueCount, Prng.derive(seed, 'blob-sync-vs-dd'))
for (let start = 0; start < valueCount; start += BATCH_COUNT) {
  const batch = []
  for (let index = start; index < Math.min(valueCount, start + BATCH_COUNT); index++) {
    batch.push({ type: 'put' as const, key: encodeKey(order[index], KEY_SIZE_BYTES), value: values.value(order[index], VALUE_SIZE_BYTES) })
  }
  batchStartMs = performance.now()
  inBatch = true
  await db.batch(batch, { sync: true })
  stamp('batch resolved', performance.now() - batchStartMs)
  inBatch = false
  const sideStartMs = performance.now()
  writevSync(sideFd, batch.flatMap((operation) => [sideHeader, operation.value]))
  await syncSide(sideFd)
  stamp('side file: writev + fdatasync', performance.now() - sideStartMs)
}
await db.close()
fs.closeSync(sideFd)
fs.rmSync(directory, { recursive: true, force: true })

const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
console.log(`seed=${seed} ${valueCount} x ${VALUE_SIZE_BYTES} B, synced batches of ${BATCH_COUNT}; median ms since batch() per batch:`)
for (const [name, list] of stamps) console.log(`${name.padEnd(30)} ${median(list).toFixed(3)}`)
