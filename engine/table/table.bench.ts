/**
 * Micro-benchmarks of the table read and write paths (a benchmark, not a test: outside the test
 * glob, it times things and checks only its own results).
 * Dataset as js-building-blocks.md: 200k keys of 16 bytes (8-byte BE of i·0x9E3779B97F4A7C15
 * mod 2^64, then 8-byte BE of i), 256-byte values, 4 KiB blocks, 10 bits/key, on MemVfs.
 * Each task iteration runs a batch of BATCH_COUNT operations so timer overhead stays out.
 * Run: node --import tsx engine/table/table.bench.ts [keyCount]
 *
 * Measured on the 2-core reference machine while other jobs ran (load average 2–4), median of
 * tinybench samples, two runs each, before -> after the block read-path work (blocks checked in
 * place instead of parsed, no per-miss scratch allocation): cached point get 2.14–2.31 ->
 * 1.85–2.02 µs; point get with no block cache (read, checksum, decode each time) 8.7–9.0 ->
 * 4.4–4.6 µs; absent key 0.12–0.13 µs (filter); iterator seek 1.80–1.96 -> 1.46–1.64 µs;
 * forward scan of cached blocks 0.18–0.19 µs/entry (5.4M entries/s); reverse scan 0.53–0.55
 * µs/entry; table write 1.8–2.0 µs/entry on MemVfs (mostly MemVfs copying and GC).
 */
import { Bench } from 'tinybench'
import { Buffer } from 'node:buffer'
import assert from 'node:assert/strict'
import { EntryKind, SEQNO_MAX, keyToString } from '../entry.ts'
import { MemVfs } from '../vfs/mod.ts'
import { BlockCache } from '../cache/mod.ts'
import { TableReader, TableWriter } from './mod.ts'
import { Prng } from './test-support.ts'

const KEY_COUNT = Number(process.argv[2] ?? 200_000)
const BATCH_COUNT = 1000

function makeKeys(count: number): string[] {
  const keys: string[] = []
  const bytes = Buffer.alloc(16)
  for (let i = 0; i < count; i++) {
    bytes.writeBigUInt64BE((BigInt(i) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn, 0)
    bytes.writeBigUInt64BE(BigInt(i), 8)
    keys.push(keyToString(bytes))
  }
  return keys.sort()
}

const sortedKeys = makeKeys(KEY_COUNT)
const value = Buffer.from('{"id":12345,"name":"strata","tags":["lsm","kv"],"payload":"'.padEnd(255, 'x') + '}')
const vfs = new MemVfs()

async function writeTable(path: string): Promise<number> {
  const file = vfs.create(path)
  const writer = new TableWriter(file, { fileNumber: 1 })
  for (const key of sortedKeys) writer.add(key, 1, EntryKind.Put, value)
  const finished = await writer.finish()
  file.close()
  return finished.dataBlockCount
}

const dataBlockCount = await writeTable('/bench.sst')
const cache = new BlockCache({ capacityBytes: 256 * 1024 * 1024 })
const reader = TableReader.open(vfs, '/bench.sst', 1, { blockCache: cache })
const uncachedReader = TableReader.open(vfs, '/bench.sst', 1)
const prng = new Prng(42)
const probeKeys = Array.from({ length: 64 * 1024 }, () => sortedKeys[prng.int(sortedKeys.length)])
const absentKeys = probeKeys.map((key) => key.slice(0, 15) + String.fromCharCode(key.charCodeAt(15) ^ 0x5a) + 'x')
// Warm the cache with every block.
for (const key of sortedKeys) reader.get(key, SEQNO_MAX)

let probeIndex = 0
let foundCount = 0
let scannedCount = 0
const bench = new Bench({ time: 2000, warmupTime: 300 })
bench
  .add(`get, present key, cached block (x${BATCH_COUNT})`, () => {
    for (let i = 0; i < BATCH_COUNT; i++) {
      if (reader.get(probeKeys[probeIndex++ & 0xffff], SEQNO_MAX) !== undefined) foundCount++
    }
  })
  .add(`get, present key, no block cache (x${BATCH_COUNT})`, () => {
    for (let i = 0; i < BATCH_COUNT; i++) {
      if (uncachedReader.get(probeKeys[probeIndex++ & 0xffff], SEQNO_MAX) !== undefined) foundCount++
    }
  })
  .add(`get, absent key (x${BATCH_COUNT})`, () => {
    for (let i = 0; i < BATCH_COUNT; i++) {
      if (reader.get(absentKeys[probeIndex++ & 0xffff], SEQNO_MAX) !== undefined) foundCount++
    }
  })
  .add(`iterator seek, cached block (x${BATCH_COUNT})`, () => {
    const iterator = reader.iterator()
    for (let i = 0; i < BATCH_COUNT; i++) {
      iterator.seek(probeKeys[probeIndex++ & 0xffff])
      if (iterator.valid()) foundCount++
    }
    iterator.close()
  })
  .add(`scan, key + value view per entry, cached blocks (x${KEY_COUNT})`, () => {
    const iterator = reader.iterator()
    let count = 0
    let keyBytes = 0
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      keyBytes += iterator.key().length + iterator.value().length
      count++
    }
    iterator.close()
    assert.equal(count, KEY_COUNT)
    scannedCount += keyBytes > 0 ? count : 0
  })
  .add(`reverse scan, key + value view per entry (x${KEY_COUNT})`, () => {
    const iterator = reader.iterator()
    let count = 0
    for (iterator.seekToLast(); iterator.valid(); iterator.prev()) {
      if (iterator.key().length + iterator.value().length > 0) count++
    }
    iterator.close()
    assert.equal(count, KEY_COUNT)
  })
  .add(`write table (x${KEY_COUNT} entries, MemVfs)`, async () => {
    await writeTable('/write.sst')
  })

await bench.run()
assert.ok(foundCount > 0 && scannedCount > 0)

const perOperation: Record<string, number> = {
  [`get, present key, cached block (x${BATCH_COUNT})`]: BATCH_COUNT,
  [`get, present key, no block cache (x${BATCH_COUNT})`]: BATCH_COUNT,
  [`get, absent key (x${BATCH_COUNT})`]: BATCH_COUNT,
  [`iterator seek, cached block (x${BATCH_COUNT})`]: BATCH_COUNT,
  [`scan, key + value view per entry, cached blocks (x${KEY_COUNT})`]: KEY_COUNT,
  [`reverse scan, key + value view per entry (x${KEY_COUNT})`]: KEY_COUNT,
  [`write table (x${KEY_COUNT} entries, MemVfs)`]: KEY_COUNT,
}
console.log(`${KEY_COUNT} keys, ${dataBlockCount} data blocks, node ${process.version}`)
for (const task of bench.tasks) {
  const result = task.result
  if (result.state !== 'completed') {
    console.log(`${task.name}: ${result.state}`)
    continue
  }
  const count = perOperation[task.name]
  const medianMs = result.latency.p50 ?? result.latency.mean
  const perOpUs = (medianMs * 1000) / count
  console.log(`${task.name.padEnd(62)} ${perOpUs.toFixed(3).padStart(8)} µs/op  ${(1e6 / perOpUs / 1e6).toFixed(2).padStart(6)} M ops/s`)
}
console.log('block cache', cache.stats())
