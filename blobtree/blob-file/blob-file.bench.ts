/**
 * Micro-benchmark of the blob file writer and reader through NodeVfs in a temp directory:
 * 16 KiB values in batches of 100 (the issue #4 load shape), PlainCodec, side by side with a
 * bare `writevSync` of the same values (js-building-blocks.md §7) so the figure is a ratio.
 * Run: node --import tsx blobtree/blob-file/blob-file.bench.ts  (STRATA_SEED, BENCH_TIME_MS)
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Bench } from 'tinybench'
import { NodeVfs } from '../../engine/vfs/node-vfs.ts'
import type { BlobHandle } from '../handle.ts'
import { SeededRandom, seedFromEnv } from '../testing/seeded-random.ts'
import { BlobFileWriter, type BlobEntry } from './writer.ts'
import { BlobFileReader } from './reader.ts'

const VALUE_SIZE_BYTES = 16 * 1024
const BATCH_COUNT = 100
const BATCH_SIZE_BYTES = VALUE_SIZE_BYTES * BATCH_COUNT
/** Files rotate here so a long run does not fill the disk. */
const FILE_ROTATE_BYTES = 256 * 1024 * 1024
/** Values in the file the read task reads from: 64 MiB, well inside the page cache. */
const READ_SET_COUNT = 4096
const MIB = 1024 * 1024

const seed = seedFromEnv()
const random = new SeededRandom(seed)
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-blob-bench-'))
const vfs = new NodeVfs()
const values = Array.from({ length: BATCH_COUNT * 4 }, () => random.bytes(VALUE_SIZE_BYTES))
let sequence = 0
let fileNumber = 0

function nextBatch(): BlobEntry[] {
  return Array.from({ length: BATCH_COUNT }, () => {
    const index = sequence++
    return { key: new TextEncoder().encode(`key${String(index).padStart(12, '0')}`), value: values[index % values.length] }
  })
}

function freshWriter(): BlobFileWriter {
  fileNumber++
  return BlobFileWriter.create(vfs.create(path.join(directory, `${fileNumber}.blob`)), { fileNumber })
}

let writer = freshWriter()
function rotateIfFull(): void {
  if (writer.sizeBytes() < FILE_ROTATE_BYTES) return
  const file = writer.file.path
  writer.close()
  fs.rmSync(file)
  writer = freshWriter()
}

let rawFile = vfs.create(path.join(directory, 'raw.bin'))
function rawAppend(): void {
  if (rawFile.sizeBytes() >= FILE_ROTATE_BYTES) {
    rawFile.close()
    rawFile = vfs.create(path.join(directory, 'raw.bin'))
  }
  rawFile.append(nextBatch().map((entry) => entry.value))
}

// The read set: one finished file of READ_SET_COUNT values, read back at random handles.
const readWriter = BlobFileWriter.create(vfs.create(path.join(directory, 'read.blob')), { fileNumber: 0 })
const readKeys: Uint8Array[] = []
const readHandles: BlobHandle[] = []
for (let start = 0; start < READ_SET_COUNT; start += BATCH_COUNT) {
  const batch = nextBatch()
  readHandles.push(...readWriter.addMany(batch))
  readKeys.push(...batch.map((entry) => entry.key))
}
await readWriter.finish()
const reader = BlobFileReader.open(vfs.openRead(path.join(directory, 'read.blob')), { expectedFileNumber: 0 })
let readBytesTotal = 0

const bench = new Bench({ time: Number(process.env.BENCH_TIME_MS ?? 2000), warmup: true })
bench
  .add('writevSync raw 100 x 16 KiB (baseline)', rawAppend)
  .add('writevSync raw 100 x 16 KiB + fdatasync (baseline)', async () => {
    rawAppend()
    await rawFile.sync()
  })
  .add('BlobFileWriter.addMany 100 x 16 KiB', () => {
    rotateIfFull()
    writer.addMany(nextBatch())
  })
  .add('BlobFileWriter.addMany 100 x 16 KiB + sync', async () => {
    rotateIfFull()
    writer.addMany(nextBatch())
    await writer.sync()
  })
  .add('BlobFileReader.read 100 random 16 KiB', () => {
    for (let count = 0; count < BATCH_COUNT; count++) {
      const index = random.below(READ_SET_COUNT)
      readBytesTotal += reader.read(readHandles[index], readKeys[index]).length
    }
  })

await bench.run()
assert.ok(readBytesTotal > 0 && readBytesTotal % VALUE_SIZE_BYTES === 0, 'reads returned values of the wrong size')

console.log(`seed=${seed} node=${process.version} dir=${directory}`)
const rows = bench.tasks.map((task) => {
  const result = task.result as { period?: number; latency?: { mean: number } } | undefined
  const periodMs = result?.period ?? result?.latency?.mean ?? Number.NaN
  return { task: task.name, 'batches/s': Math.round(1000 / periodMs), 'MiB/s': Math.round((BATCH_SIZE_BYTES / MIB) * (1000 / periodMs)) }
})
console.table(rows)
const raw = rows[0]['MiB/s']
console.log(`addMany / raw writev = ${(rows[2]['MiB/s'] / raw).toFixed(2)}; with a sync per batch = ${(rows[3]['MiB/s'] / rows[1]['MiB/s']).toFixed(2)}`)

writer.close()
rawFile.close()
reader.close()
fs.rmSync(directory, { recursive: true, force: true })
