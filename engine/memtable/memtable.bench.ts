/**
 * Micro-benchmarks of the memtable (a benchmark, not a test): insert of new keys in random
 * order, point lookup, and a full walk of a frozen memtable (what a flush reads).
 * Dataset as js-building-blocks.md §1: 16-byte keys in a scattered order, 256-byte values.
 * Run: node --import tsx engine/memtable/memtable.bench.ts [keyCount]
 */
import { Bench } from 'tinybench'
import { Buffer } from 'node:buffer'
import assert from 'node:assert/strict'
import { EntryKind } from '../entry.ts'
import { scatteredKeys } from './bench-keys.ts'
import { Memtable } from './memtable.ts'

const KEY_COUNT = Number(process.argv[2] ?? 100_000)
const keys = scatteredKeys(KEY_COUNT)
const value = Buffer.alloc(256, 'abcdefghij')

function filled(): Memtable {
  const memtable = new Memtable()
  for (let i = 0; i < KEY_COUNT; i++) memtable.add(keys[i], i + 1, EntryKind.Put, value)
  return memtable
}

const reference = filled()
const frozen = filled()
frozen.freeze()

const bench = new Bench({ time: 2000 })
bench
  .add(`insert ${KEY_COUNT} new keys`, () => {
    assert.equal(filled().entryCount, KEY_COUNT)
  })
  .add(`get ${KEY_COUNT} present keys`, () => {
    let found = 0
    for (let i = 0; i < KEY_COUNT; i++) if (reference.get(keys[i], KEY_COUNT) !== undefined) found++
    assert.equal(found, KEY_COUNT)
  })
  .add(`walk a frozen memtable of ${KEY_COUNT}`, () => {
    const iterator = frozen.iterator()
    let count = 0
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) count++
    assert.equal(count, KEY_COUNT)
  })

await bench.run()
for (const task of bench.tasks) {
  const meanMs = (task.result as { latency?: { mean: number } } | undefined)?.latency?.mean ?? Number.NaN
  console.log(`${task.name.padEnd(40)} ${(meanMs * 1e6 / KEY_COUNT).toFixed(0).padStart(6)} ns/op  (${Math.round(KEY_COUNT / meanMs * 1000).toLocaleString()} ops/s)`)
}
