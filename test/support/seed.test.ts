import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Rng } from './seed.ts'

describe('Rng', () => {
  // Pinned: replayed seeds (scripts/reliability.ts seed 20250101, seeds printed by failures)
  // depend on this exact stream; it was produced before Rng moved onto datasets' Prng.
  test('gives the stream replayed seeds depend on', () => {
    const rng = new Rng(20250101)
    assert.deepEqual([rng.u32(), rng.u32(), rng.u32(), rng.u32(), rng.below(1000), rng.below(1000)], [2488765455, 3801960383, 674199757, 3756629813, 790, 995])
    const zero = new Rng(0)
    assert.deepEqual([zero.u32(), zero.u32()], [3809008728, 1133695204])
  })
})
