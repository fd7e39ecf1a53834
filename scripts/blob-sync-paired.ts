/**
 * Synced load of the issue #4 shape measured batch by batch, side by side: every batch goes to a
 * store of this tree, to a store of BASE_TREE when given (another checkout, e.g.
 * `git archive <commit> | tar -x -C /tmp/base` with node_modules linked), and, as yardsticks
 * on the same disk at the same moment, to bare files: the frames' iovecs written with one
 * writev then fdatasync (the blob file's I/O, without the engine), the same with a WAL-sized
 * record written and synced beside it (all of a synced batch's I/O), and one contiguous write
 * then fdatasync (what `dd oflag=dsync` does; scripts/blob-sync-pair.ts puts it at dd's rate). The
 * order rotates every batch. On a shared machine whose disk latency swings several-fold within a
 * minute, whole-load rates taken one after another (scripts/blob-sync-vs-dd.ts) do not compare;
 * per-batch medians paired like this do. Prints each one's median ms per batch, the ratio of
 * medians, and the median of the per-batch ratios (each batch against this tree's batch of the
 * same rotation).
 * Env: VALUE_COUNT (32768), STRATA_SEED (42), BENCH_DIR (os.tmpdir()), BASE_TREE (unset).
 * Benchmark, not test.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Buffer } from 'node:buffer'
import { BlobDb } from '../index.ts'
import { createValueSource, encodeKey, Prng, randomPermutation } from '../datasets/mod.ts'
import { BATCH_COUNT, KEY_SIZE_BYTES, VALUE_SIZE_BYTES, baseDirectory, seed, valueCount } from './blob-bench-shape.ts'

/** Frame header (40 B), key (16 B) and plain envelope header (24 B) in front of each value. */
const FRAME_PREFIX_SIZE_BYTES = 80

interface Batch { type: 'put'; key: Uint8Array; value: Uint8Array }
type Target = (batch: Batch[]) => Promise<void>

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())))
}

const directory = fs.mkdtempSync(path.join(baseDirectory, 'strata-sync-paired-'))
const prefix = Buffer.alloc(FRAME_PREFIX_SIZE_BYTES, 1)
const writevFd = fs.openSync(path.join(directory, 'writev.bin'), 'w')
const writeFd = fs.openSync(path.join(directory, 'write.bin'), 'w')
const contiguous = Buffer.alloc(BATCH_COUNT * (FRAME_PREFIX_SIZE_BYTES + VALUE_SIZE_BYTES))
const writevWalFd = fs.openSync(path.join(directory, 'writev-wal.bin'), 'w')
const walFd = fs.openSync(path.join(directory, 'wal.bin'), 'w')
/** WAL bytes per value of a synced BlobDb batch of this shape (the 16-byte key, its handle, framing; measured). */
const WAL_BYTES_PER_VALUE = 31
const walRecord = Buffer.alloc(BATCH_COUNT * WAL_BYTES_PER_VALUE, 2)
const stores: { close(): Promise<void> }[] = []

async function storeTarget(open: typeof BlobDb.open, name: string): Promise<Target> {
  const db = await open(path.join(directory, name), {}, { minBlobSize: 1024 })
  stores.push(db)
  return (batch) => db.batch(batch, { sync: true })
}

const targets = new Map<string, Target>([['this tree', await storeTarget(BlobDb.open.bind(BlobDb), 'this')]])
const baseTree = process.env.BASE_TREE
if (baseTree !== undefined) {
  const base = (await import(path.join(path.resolve(baseTree), 'index.ts'))) as { BlobDb: typeof BlobDb }
  targets.set('BASE_TREE', await storeTarget(base.BlobDb.open.bind(base.BlobDb), 'base'))
}
targets.set('writev + fdatasync', async (batch) => {
  fs.writevSync(writevFd, batch.flatMap((operation) => [prefix, operation.value]))
  await fdatasync(writevFd)
})
// The whole I/O of a synced BlobDb batch and nothing else: the frames as above, and the WAL
// record of the batch's keys and handles (31 B per value here) written and synced beside them, as
// BlobDb syncs both files at once. Its distance to the dd line is what any CPU work may cost.
targets.set('writev + WAL, both synced', async (batch) => {
  fs.writevSync(writevWalFd, batch.flatMap((operation) => [prefix, operation.value]))
  const frames = fdatasync(writevWalFd)
  fs.writeSync(walFd, walRecord, 0, batch.length * WAL_BYTES_PER_VALUE)
  await Promise.all([frames, fdatasync(walFd)])
})
targets.set('write + fdatasync (dd)', async (batch) => {
  let offsetBytes = 0
  for (const operation of batch) {
    contiguous.set(operation.value, offsetBytes + FRAME_PREFIX_SIZE_BYTES)
    offsetBytes += FRAME_PREFIX_SIZE_BYTES + operation.value.length
  }
  fs.writeSync(writeFd, contiguous, 0, offsetBytes)
  await fdatasync(writeFd)
})

const values = createValueSource({ kind: 'compressible', ratio: 0.5 }, seed)
const order = randomPermutation(valueCount, Prng.derive(seed, 'blob-sync-vs-dd'))
const names = [...targets.keys()]
const batchMs = new Map(names.map((name): [string, number[]] => [name, []]))
for (let start = 0, batchIndex = 0; start < valueCount; start += BATCH_COUNT, batchIndex++) {
  for (let turn = 0; turn < names.length; turn++) {
    const name = names[(batchIndex + turn) % names.length]
    // Fresh values for each target, as a caller's batch would be (nothing warm from the last one).
    const batch: Batch[] = []
    for (let index = start; index < Math.min(valueCount, start + BATCH_COUNT); index++) {
      batch.push({ type: 'put', key: encodeKey(order[index], KEY_SIZE_BYTES), value: values.value(order[index], VALUE_SIZE_BYTES) })
    }
    const startedMs = performance.now()
    await targets.get(name)!(batch)
    batchMs.get(name)!.push(performance.now() - startedMs)
  }
}
for (const store of stores) await store.close()
for (const fd of [writevFd, writeFd, writevWalFd, walFd]) fs.closeSync(fd)
fs.rmSync(directory, { recursive: true, force: true })

const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
const thisTreeMs = median(batchMs.get('this tree')!)
console.log(`seed=${seed} ${valueCount} x ${VALUE_SIZE_BYTES} B, synced batches of ${BATCH_COUNT}; median ms per batch, and this tree's speed relative to each:`)
const thisTreeList = batchMs.get('this tree')!
for (const [name, list] of batchMs) {
  // The median of the per-batch ratios pairs each batch with the other targets' batches of the same
  // rotation, moments apart: in four runs with three stores of the same code it spread 0.98-1.04,
  // the ratio of medians 0.90-1.23.
  const pairedRatio = median(list.map((ms, index) => ms / thisTreeList[index]))
  console.log(`${name.padEnd(26)} ${median(list).toFixed(3)} ms  this tree / it ${(median(list) / thisTreeMs).toFixed(2)}  paired per batch ${pairedRatio.toFixed(2)}`)
}
