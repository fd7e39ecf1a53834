/**
 * tinybench micro-benchmarks of the table pieces the issue lists that engine/table/table.bench.ts
 * only measures inside a whole-table get: encoding one data block, decoding one and seeking in it,
 * and probing the Bloom filter (a present key, and an absent one: the probe that saves a block
 * read). A benchmark, not a test: outside the test glob; it times things and checks only its own
 * results. Same dataset as table.bench.ts: 16-byte keys, 256-byte values, 4 KiB blocks, 10 bits/key.
 * Run: node --import tsx benchsuite/micro/table-pieces.bench.ts   (scripts/micro-bench.sh runs it)
 */
import assert from 'node:assert/strict'
import { Bench } from 'tinybench'
import { encodeKey, Prng } from '../../datasets/mod.ts'
import { EntryKind, keyToString } from '../../engine/entry.ts'
import { decodeDataBlock, BlockCursor } from '../../engine/table/block.ts'
import { BlockBuilder } from '../../engine/table/block-builder.ts'
import { decodeFilter, encodeFilter } from '../../engine/table/filter.ts'
import { murmur3Hash32 } from '../../engine/table/key-hash.ts'

const BLOCK_SIZE_BYTES = 4096
const RESTART_INTERVAL = 16
const BLOOM_BITS_PER_KEY = 10
const FILTER_KEY_COUNT = 100_000
/** Operations per task iteration, so timer overhead stays out of the per-operation figure. */
const BATCH_COUNT = 1000
const SEED = 42

const value = new Prng(SEED).fillBytes(new Uint8Array(256))
const keys = Array.from({ length: FILTER_KEY_COUNT }, (_, i) => keyToString(encodeKey(i, 16)))
const absentKeys = Array.from({ length: FILTER_KEY_COUNT }, (_, i) => keyToString(encodeKey(FILTER_KEY_COUNT + i, 16)))

// One data block's worth of consecutive keys.
const builder = new BlockBuilder(RESTART_INTERVAL, BLOCK_SIZE_BYTES)
let blockKeyCount = 0
for (; builder.estimatedSizeBytes() < BLOCK_SIZE_BYTES; blockKeyCount++) builder.add(keys[blockKeyCount], 1, EntryKind.Put, value)
const rawBlock = builder.finish().slice()
const blockKeys = keys.slice(0, blockKeyCount)

const hashes = Uint32Array.from(keys, (key) => murmur3Hash32(key))
const filter = decodeFilter(encodeFilter(hashes, hashes.length, BLOOM_BITS_PER_KEY), { fileName: 'bench' })

const prng = new Prng(SEED)
const probeOrder = Uint32Array.from({ length: 64 * 1024 }, () => prng.nextBelow(FILTER_KEY_COUNT))
let probe = 0
let found = 0
let falsePositives = 0
const cursor = new BlockCursor()

const tasks: Array<[string, number, () => void]> = [
  [`data block encode (${blockKeyCount} entries, ~4 KiB)`, 1, () => {
    builder.reset()
    for (let i = 0; i < blockKeyCount; i++) builder.add(blockKeys[i], 1, EntryKind.Put, value)
    found += builder.finish().length > 0 ? 1 : 0
  }],
  [`data block decode + seek (x${BATCH_COUNT})`, BATCH_COUNT, () => {
    for (let i = 0; i < BATCH_COUNT; i++) {
      cursor.attach(decodeDataBlock(rawBlock, 'bench', 0))
      cursor.seek(blockKeys[probeOrder[probe++ & 0xffff] % blockKeyCount])
      if (cursor.valid()) found++
    }
  }],
  [`filter probe, present key (x${BATCH_COUNT})`, BATCH_COUNT, () => {
    for (let i = 0; i < BATCH_COUNT; i++) if (filter.mayContain(keys[probeOrder[probe++ & 0xffff]])) found++
  }],
  [`filter probe, absent key (x${BATCH_COUNT})`, BATCH_COUNT, () => {
    for (let i = 0; i < BATCH_COUNT; i++) if (filter.mayContain(absentKeys[probeOrder[probe++ & 0xffff]])) falsePositives++
  }],
]

const bench = new Bench({ time: 1000, warmupTime: 200 })
for (const [name, , run] of tasks) bench.add(name, run)
await bench.run()
// Every present key must pass its filter; absent keys pass at about the design's 1%.
for (const key of keys) assert.ok(filter.mayContain(key))
assert.ok(found > 0)

console.log(`seed ${SEED}, ${blockKeyCount} entries per block (${rawBlock.length} bytes), filter of ${FILTER_KEY_COUNT} keys at ${BLOOM_BITS_PER_KEY} bits/key, node ${process.version}`)
for (const task of bench.tasks) {
  const result = task.result
  if (result.state !== 'completed') {
    console.log(`${task.name}: ${result.state}`)
    continue
  }
  const perIteration = tasks.find(([name]) => name === task.name)![1]
  const perOpUs = ((result.latency.p50 ?? result.latency.mean) * 1000) / perIteration
  console.log(`${task.name.padEnd(52)} ${perOpUs.toFixed(3).padStart(9)} µs/op`)
}
const probes = bench.tasks.find((task) => task.name.startsWith('filter probe, absent'))!.runs * BATCH_COUNT
console.log(`absent-key false positives: ${((falsePositives / Math.max(1, probes)) * 100).toFixed(2)}%`)
