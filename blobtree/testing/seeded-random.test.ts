import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SeededRandom } from './seeded-random.ts'

describe('SeededRandom', () => {
  // Pinned: the GC crash rounds and the accounting bounds replay on this exact sfc32 stream; it
  // was produced before the seeding moved onto datasets' splitmix32.
  test('gives the stream replayed seeds depend on', () => {
    const random = new SeededRandom(0x5eed)
    assert.deepEqual([random.u32(), random.u32(), random.u32(), random.below(1000), Array.from(random.bytes(6))], [1663128884, 2945495898, 2322375278, 697, [130, 208, 129, 9, 208, 255]])
  })
})
